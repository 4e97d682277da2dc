import type { Usage } from '@anthropic-ai/sdk/resources/messages';

/** Tokens of one model call, by the kinds the price list charges differently. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** The Messages API's usage in Gantry's terms (absent cache counts are 0). */
export function usageOf(u: Usage): TokenUsage {
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheReadTokens: u.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
  };
}
