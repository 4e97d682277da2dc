import type { ModelPrice } from '../../llm/model-price.js';
import type { CallUsage } from './call-usage.js';

/**
 * A 1-hour cache write costs twice the input price (a 5-minute one 1.25x, the table's
 * `cacheWrite`). The shared table has no column for it, and its shape is not the gateway's to
 * change, so the gateway derives it from the model's input price.
 */
export const CACHE_WRITE_1H_PER_INPUT = 2;

/** A web search the API runs for a call: $10 per 1,000, in micro-dollars. */
export const WEB_SEARCH_MICROS = 10_000;

/**
 * What one call cost, in whole micro-dollars: the table's prices for input, output, cache reads
 * and 5-minute cache writes, plus 1-hour cache writes and web searches, which the table does not
 * price. Long-context prices (a higher rate past 200k input tokens) are not modelled: the table
 * has no column for them either, and a call that long is priced at the ordinary rate.
 */
export function callCostMicros(usage: CallUsage, price: ModelPrice): number {
  const oneHour = usage.cacheWrite1hTokens;
  const fiveMinutes = Math.max(0, usage.cacheWriteTokens - oneHour);
  // Prices are per million tokens, so tokens x price is already in micro-dollars.
  const tokens =
    usage.inputTokens * price.input +
    usage.outputTokens * price.output +
    usage.cacheReadTokens * price.cacheRead +
    fiveMinutes * price.cacheWrite +
    oneHour * price.input * CACHE_WRITE_1H_PER_INPUT;
  return Math.round(tokens) + usage.webSearchRequests * WEB_SEARCH_MICROS;
}
