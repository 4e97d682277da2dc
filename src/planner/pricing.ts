import { PlannerConfigError } from './errors.js';
import type { ModelPrice } from './llm-config.js';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** Cost in USD of one call's usage at the model's price per million tokens. */
export function costOf(
  usage: TokenUsage,
  model: string,
  pricing: Readonly<Record<string, ModelPrice>>,
): number {
  const p = pricing[model];
  if (!p)
    throw new PlannerConfigError(
      `no price for model ${model}`,
      `Gantry has no price for the model \`${model}\`. Add it under \`llm.pricing\` in .github/gantry.yml (USD per million input, output, cacheRead and cacheWrite tokens).`,
    );
  const micros =
    usage.inputTokens * p.input +
    usage.outputTokens * p.output +
    usage.cacheReadTokens * p.cacheRead +
    usage.cacheWriteTokens * p.cacheWrite;
  // Prices are per million tokens, so tokens x price is already in micro-dollars.
  return Math.round(micros) / 1_000_000;
}
