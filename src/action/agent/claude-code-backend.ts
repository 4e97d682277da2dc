import {
  zeroUsage,
  type AgentBackend,
  type AgentOutcome,
  type AgentRound,
  type ModelAccess,
} from './backend.js';
import type { Sandbox } from '../sandbox/sandbox.js';

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

/** What the SDK hands `spawnClaudeCodeProcess` (its SpawnOptions). */
export interface SdkSpawnOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
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
 * Claude Code through the Agent SDK: no settings files are read (`settingSources: []`: the
 * repository's `CLAUDE.md` and the other instruction files reach it in the prompt, delimited, as
 * they reach every backend), only the listed tools run, and turns and spend are capped. Each
 * round is a new session given the whole task (see `taskPrompt`). It reaches the model only through the job's
 * gateway, with a per-run token instead of the key; its environment is otherwise the secret-free
 * one. The cost it reports is not the task's: the gateway counts that.
 */
export class ClaudeCodeBackend implements AgentBackend {
  readonly name = 'claude-code';
  private sdk: AgentSdk | undefined;

  constructor(
    private readonly options: {
      gateway: ModelAccess;
      /** Install and load the SDK where the agent can run it (`sandbox.scratch` when contained). */
      load: (sandbox: Sandbox) => Promise<AgentSdk>;
    },
  ) {}

  async run(round: AgentRound): Promise<AgentOutcome> {
    this.sdk ??= await this.options.load(round.sandbox);
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
      // The gateway's address and token, never the key; its own subprocesses (the Bash tool) are
      // asked not to inherit even the token, and it sends nothing but model calls.
      env: round.sandbox.env({
        ANTHROPIC_BASE_URL: this.options.gateway.url,
        ANTHROPIC_API_KEY: this.options.gateway.token,
        CLAUDE_CODE_SUBPROCESS_ENV_SCRUB: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      }),
      // Claude Code itself runs as the agent, contained like every other agent process.
      spawnClaudeCodeProcess: (o: SdkSpawnOptions) => {
        const child = round.sandbox.spawn(o.command, o.args, {
          cwd: o.cwd ?? round.cwd,
          env: Object.fromEntries(
            Object.entries(o.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
          ),
          stdio: 'pipe',
        });
        o.signal?.addEventListener('abort', () => round.sandbox.kill(child), { once: true });
        return child;
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
