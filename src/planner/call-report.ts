import type { TokenUsage } from '../llm/token-usage.js';

/** One model call, as it is reported and billed. */
export interface CallReport extends TokenUsage {
  operation: 'plan' | 'recover' | 'knowledge' | 'review';
  provider: 'anthropic' | 'scripted';
  model: string;
  costUsd: number;
  stopReason: string;
  /** 0 for the first call of an operation, then 1, 2 for repairs. */
  repair: number;
}
