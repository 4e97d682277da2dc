import { safeEnv } from '../safe-env.js';
import { zeroUsage, type AgentBackend, type AgentOutcome, type AgentRound } from './backend.js';

// Installed at run time, pinned and integrity-checked (the package ships a platform binary).
export { installAgentSdk } from './install-agent-sdk.js';

/** Tools Claude Code may use without asking (with permissionMode 'dontAsk', anything else is denied). */
export const ALLOWED_TOOLS = [
  'Read',
  'Write',
  'Edit',
  'MultiEdit',
  'Glob',
  'Grep',
  'LS',
  'Bash',
  'TodoWrite',
];

/** The part of the SDK's result message Gantry reads. */
export interface SdkResultMessage {
  type: 'result';
  subtype: string;
  result?: string;
  num_turns: number;
  total_cost_usd: number;
  usage?: {
    input_tokens?: number;
    output_tokens?: number;
    cache_read_input_tokens?: number;
    cache_creation_input_tokens?: number;
  };
}

export interface AgentSdk {
  query(params: {
    prompt: string;
    options: Record<string, unknown>;
  }): AsyncIterable<{ type: string }>;
}

const STOPS: Record<string, AgentOutcome['stop']> = {
  success: 'done',
  error_max_turns: 'max-turns',
  error_max_budget_usd: 'max-budget',
};

/**
 * Claude Code through the Agent SDK: no settings files are read (`settingSources: []`), only the
 * listed tools run, and turns and spend are capped. Claude Code itself needs the API key; its
 * environment is otherwise the secret-free one.
 */
export class ClaudeCodeBackend implements AgentBackend {
  readonly name = 'claude-code';
  private sdk: AgentSdk | undefined;

  constructor(
    private readonly options: { apiKey: string | undefined; load: () => Promise<AgentSdk> },
  ) {
    if (!options.apiKey)
      throw new Error(
        'the claude-code backend needs ANTHROPIC_API_KEY in the job environment (a repository secret)',
      );
  }

  async run(round: AgentRound): Promise<AgentOutcome> {
    this.sdk ??= await this.options.load();
    const abortController = new AbortController();
    round.signal.addEventListener('abort', () => abortController.abort(), { once: true });
    const options = {
      cwd: round.cwd,
      model: round.model,
      permissionMode: 'dontAsk',
      allowedTools: ALLOWED_TOOLS,
      maxTurns: round.maxTurns,
      maxBudgetUsd: round.maxBudgetUsd,
      settingSources: [],
      abortController,
      // Claude Code needs the key; its own subprocesses (the Bash tool) are asked not to inherit it.
      env: {
        ...safeEnv(),
        ANTHROPIC_API_KEY: this.options.apiKey,
        CLAUDE_CODE_SUBPROCESS_ENV_SCRUB: '1',
      },
    };
    let result: SdkResultMessage | undefined;
    try {
      for await (const message of this.sdk.query({ prompt: round.prompt, options }))
        if (message.type === 'result') result = message as SdkResultMessage;
    } catch (e) {
      if (round.signal.aborted)
        return { stop: 'timeout', summary: '', usage: zeroUsage(), findings: [] };
      return {
        stop: 'error',
        summary: '',
        detail: `Claude Code failed: ${(e as Error).message}`,
        usage: zeroUsage(),
        findings: [],
      };
    }
    if (!result)
      return {
        stop: round.signal.aborted ? 'timeout' : 'error',
        summary: '',
        detail: 'Claude Code ended without a result',
        usage: zeroUsage(),
        findings: [],
      };
    const u = result.usage ?? {};
    const usage = {
      inputTokens: u.input_tokens ?? 0,
      outputTokens: u.output_tokens ?? 0,
      cacheReadTokens: u.cache_read_input_tokens ?? 0,
      cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
      costUsd: result.total_cost_usd,
      turns: result.num_turns,
    };
    const stop = STOPS[result.subtype] ?? 'error';
    return {
      stop,
      summary: result.result ?? '',
      ...(stop === 'error' ? { detail: `Claude Code ended with ${result.subtype}` } : {}),
      usage,
      findings: [],
    };
  }
}
