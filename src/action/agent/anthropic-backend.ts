import Anthropic from '@anthropic-ai/sdk';
import type {
  MessageParam,
  Tool,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import { defaultLlmConfig } from '../../llm/llm-config.js';
import type { ModelPrice } from '../../llm/model-price.js';
import { usageOf } from '../../llm/token-usage.js';
import { usageCost } from '../../llm/usage-cost.js';
import {
  addUsage,
  zeroUsage,
  type AgentBackend,
  type AgentOutcome,
  type AgentRound,
} from './backend.js';
import { ToolError, WorkspaceTools } from './workspace-tools.js';

const TOOLS: Tool[] = [
  {
    name: 'read_file',
    description: 'Read a text file of the repository.',
    input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'write_file',
    description: 'Create or overwrite a file with the given content.',
    input_schema: {
      type: 'object',
      properties: { path: { type: 'string' }, content: { type: 'string' } },
      required: ['path', 'content'],
    },
  },
  {
    name: 'edit_file',
    description: 'Replace old_text, which must occur exactly once in the file, with new_text.',
    input_schema: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        old_text: { type: 'string' },
        new_text: { type: 'string' },
      },
      required: ['path', 'old_text', 'new_text'],
    },
  },
  {
    name: 'list_files',
    description: 'List files matching a glob (default **/*).',
    input_schema: { type: 'object', properties: { pattern: { type: 'string' } } },
  },
  {
    name: 'search',
    description: 'Search file contents for a regular expression; optional glob of files.',
    input_schema: {
      type: 'object',
      properties: { pattern: { type: 'string' }, files: { type: 'string' } },
      required: ['pattern'],
    },
  },
  {
    name: 'run_command',
    description:
      'Run a shell command in the repository (no network credentials, no secrets); returns exit code and output.',
    input_schema: {
      type: 'object',
      properties: { command: { type: 'string' }, timeout_sec: { type: 'number' } },
      required: ['command'],
    },
  },
  {
    name: 'note_finding',
    description:
      'Record something later tasks of this goal must know: a constraint, a decision or a gotcha, in one sentence.',
    input_schema: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['constraint', 'decision', 'gotcha'] },
        text: { type: 'string' },
      },
      required: ['kind', 'text'],
    },
  },
];

const SYSTEM = `You are an AI coding agent working for Gantry in a checkout of a GitHub repository. Use the tools to read and change files and to run commands. Do not commit, push or change git settings: Gantry publishes your changes. Never change files under .github/workflows/. When the task is done (its completion criteria pass), stop calling tools and answer with a short summary of what you changed.`;

export interface AnthropicBackendOptions {
  apiKey: string | undefined;
  baseURL?: string | undefined;
  pricing?: Readonly<Record<string, ModelPrice>>;
  maxTokensPerTurn?: number;
}

/** Gantry's own agent loop on the Messages API, with workspace-confined tools. */
export class AnthropicBackend implements AgentBackend {
  readonly name = 'anthropic';
  private readonly client: Anthropic;
  private readonly pricing: Readonly<Record<string, ModelPrice>>;
  /** The conversation goes on across rounds: feedback continues it. */
  private readonly messages: MessageParam[] = [];

  constructor(private readonly options: AnthropicBackendOptions) {
    if (!options.apiKey)
      throw new Error(
        'the anthropic backend needs ANTHROPIC_API_KEY in the job environment (a repository secret)',
      );
    this.client = new Anthropic({
      apiKey: options.apiKey,
      maxRetries: 2,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    });
    this.pricing = options.pricing ?? defaultLlmConfig.pricing;
  }

  async run(round: AgentRound): Promise<AgentOutcome> {
    const tools = new WorkspaceTools(round.cwd, round.signal, round.sandbox);
    const findings: AgentOutcome['findings'] = [];
    let usage = zeroUsage();
    const price = this.pricing[round.model];
    if (!price)
      return {
        stop: 'error',
        summary: '',
        detail: `no price for model ${round.model}: Gantry cannot keep to the budget, so it does not call it`,
        usage,
        findings,
      };
    // The conversation holds the task already: a later round adds only what still fails.
    this.messages.push({
      role: 'user',
      content: this.messages.length && round.feedback ? round.feedback : round.prompt,
    });
    for (;;) {
      if (round.signal.aborted) return { stop: 'timeout', summary: '', usage, findings };
      if (usage.turns >= round.maxTurns)
        return {
          stop: 'max-turns',
          summary: '',
          detail: `stopped after ${usage.turns} turns`,
          usage,
          findings,
        };
      if (usage.costUsd >= round.maxBudgetUsd)
        return {
          stop: 'max-budget',
          summary: '',
          detail: `stopped at $${usage.costUsd.toFixed(2)}`,
          usage,
          findings,
        };
      let message: Anthropic.Message;
      try {
        message = await this.client.messages.create(
          {
            model: round.model,
            max_tokens: this.options.maxTokensPerTurn ?? 8000,
            system: SYSTEM,
            tools: TOOLS,
            messages: this.messages,
          },
          { signal: round.signal },
        );
      } catch (e) {
        if (round.signal.aborted) return { stop: 'timeout', summary: '', usage, findings };
        return {
          stop: 'error',
          summary: '',
          detail: `the Anthropic API failed: ${(e as Error).message}`,
          usage,
          findings,
        };
      }
      const u = usageOf(message.usage);
      usage = addUsage(usage, { ...u, costUsd: usageCost(u, price), turns: 1 });
      this.messages.push({ role: 'assistant', content: message.content });
      const calls = message.content.filter((b) => b.type === 'tool_use');
      if (message.stop_reason !== 'tool_use' || calls.length === 0) {
        const summary = message.content
          .flatMap((b) => (b.type === 'text' ? [b.text] : []))
          .join('\n')
          .trim();
        return {
          stop: message.stop_reason === 'max_tokens' ? 'error' : 'done',
          summary,
          usage,
          findings,
        };
      }
      const results: ToolResultBlockParam[] = [];
      for (const call of calls) {
        try {
          const output = await this.execute(
            tools,
            call.name,
            call.input as Record<string, unknown>,
            findings,
          );
          results.push({ type: 'tool_result', tool_use_id: call.id, content: output });
        } catch (e) {
          // Any failure of a tool (a refused path, EISDIR, ENOENT) is the model's to handle.
          const message =
            e instanceof ToolError ? e.message : `${call.name} failed: ${(e as Error).message}`;
          results.push({
            type: 'tool_result',
            tool_use_id: call.id,
            content: message,
            is_error: true,
          });
        }
      }
      this.messages.push({ role: 'user', content: results });
    }
  }

  private async execute(
    tools: WorkspaceTools,
    name: string,
    input: Record<string, unknown>,
    findings: AgentOutcome['findings'],
  ): Promise<string> {
    const str = (key: string) => {
      const v = input[key];
      if (typeof v !== 'string') throw new ToolError(`${name}: \`${key}\` must be a string`);
      return v;
    };
    switch (name) {
      case 'read_file':
        return tools.readFile(str('path'));
      case 'write_file':
        return tools.writeFile(str('path'), str('content'));
      case 'edit_file':
        return tools.editFile(str('path'), str('old_text'), str('new_text'));
      case 'list_files':
        return tools.listFiles(typeof input.pattern === 'string' ? input.pattern : undefined);
      case 'search':
        return tools.search(
          str('pattern'),
          typeof input.files === 'string' ? input.files : undefined,
        );
      case 'run_command':
        return tools.runCommand(
          str('command'),
          typeof input.timeout_sec === 'number' ? input.timeout_sec : undefined,
        );
      case 'note_finding': {
        const kind = str('kind');
        if (kind !== 'constraint' && kind !== 'decision' && kind !== 'gotcha')
          throw new ToolError('kind must be constraint, decision or gotcha');
        if (findings.length < 10) findings.push({ kind, text: str('text').slice(0, 300) });
        return 'noted';
      }
      default:
        throw new ToolError(`unknown tool ${name}`);
    }
  }
}
