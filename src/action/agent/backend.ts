import type { Sandbox } from '../sandbox/sandbox.js';

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  turns: number;
}

export const zeroUsage = (): AgentUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
  turns: 0,
});

export function addUsage(a: AgentUsage, b: AgentUsage): AgentUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e6) / 1e6,
    turns: a.turns + b.turns,
  };
}

/** One round of agent work: the whole task, and from round 2 on what still fails. */
export interface AgentRound {
  /** The whole task, every round (from round 2 on with `feedback` at its end): see `taskPrompt`. */
  prompt: string;
  /** From round 2 on, only what still fails: for a backend that continues its conversation. */
  feedback?: string;
  cwd: string;
  model: string;
  /** What is left of the limits for this round. */
  maxTurns: number;
  maxBudgetUsd: number;
  signal: AbortSignal;
  round: number;
  /** As whom and where every process of the agent runs (its tools' commands included). */
  sandbox: Sandbox;
}

export interface AgentOutcome {
  /** Why the round ended: the agent finished, or a limit or an error stopped it. */
  stop: 'done' | 'max-turns' | 'max-budget' | 'timeout' | 'error';
  summary: string;
  detail?: string;
  usage: AgentUsage;
  findings: { kind: 'constraint' | 'decision' | 'gotcha'; text: string }[];
}

/** An agent that edits the workspace. Rounds of one task share one backend instance. */
export interface AgentBackend {
  readonly name: 'claude-code' | 'anthropic' | 'command';
  run(round: AgentRound): Promise<AgentOutcome>;
}

/** Where the agent reaches the model: the job's metering gateway and its per-run token, never the key. */
export interface ModelAccess {
  url: string;
  token: string;
}
