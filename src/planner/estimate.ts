import { planEstimate, type PlanEstimate, type TierEstimates } from '../core/estimate.js';
import type { Plan } from '../core/plan.js';
import type { LlmConfig } from '../llm/llm-config.js';
import { costOf } from './pricing.js';

export type { PlanEstimate } from '../core/estimate.js';

/** Per tier, its model and what the tier's usual token usage costs on it (no cache assumed). */
export function tierEstimates(
  llm: Pick<LlmConfig, 'models' | 'pricing' | 'tierUsage'>,
): TierEstimates {
  const tier = (t: keyof TierEstimates) => {
    const model = llm.models.tiers[t];
    const usage = { ...llm.tierUsage[t], cacheReadTokens: 0, cacheWriteTokens: 0 };
    return { model, estimateUsd: costOf(usage, model, llm.pricing) };
  };
  return { small: tier('small'), medium: tier('medium'), large: tier('large') };
}

/** Cost and time of a plan before approval, from each task's tier, its model and the pricing table. */
export function estimatePlan(
  plan: Plan,
  llm: Pick<LlmConfig, 'models' | 'pricing' | 'tierUsage'>,
): PlanEstimate {
  return planEstimate(plan, tierEstimates(llm));
}
