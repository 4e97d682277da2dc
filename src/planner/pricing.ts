import type { ModelPrice } from '../llm/model-price.js';
import type { TokenUsage } from '../llm/token-usage.js';
import { usageCost } from '../llm/usage-cost.js';
import { PlannerConfigError } from './errors.js';

/**
 * Cost in USD of one call's usage at the model's price. A model without a price is a setup
 * problem the maintainer fixes in the config, so it is a planner config error.
 */
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
  return usageCost(usage, p);
}
