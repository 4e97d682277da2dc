import type { ModelPrice } from './model-price.js';
import type { TokenUsage } from './token-usage.js';

/** Cost in USD of one call's usage at a model's price per million tokens. */
export function usageCost(usage: TokenUsage, price: ModelPrice): number {
  const micros =
    usage.inputTokens * price.input +
    usage.outputTokens * price.output +
    usage.cacheReadTokens * price.cacheRead +
    usage.cacheWriteTokens * price.cacheWrite;
  // Prices are per million tokens, so tokens x price is already in micro-dollars.
  return Math.round(micros) / 1_000_000;
}
