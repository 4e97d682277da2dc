import type { TokenUsage } from '../../llm/token-usage.js';

/**
 * One call's usage as the gateway prices it: the four kinds of the shared price table, and the
 * two the table has no column for (the gateway prices those itself, in call-cost.ts).
 */
export interface CallUsage extends TokenUsage {
  /** Of `cacheWriteTokens`, those written to the 1-hour cache (`cache_creation.ephemeral_1h_input_tokens`). */
  cacheWrite1hTokens: number;
  /** Web searches the API ran for the call (`server_tool_use.web_search_requests`). */
  webSearchRequests: number;
}

export const zeroCallUsage = (): CallUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  webSearchRequests: 0,
});
