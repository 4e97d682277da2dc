import { Dag } from '../core/dag.js';
import type { Plan, Tier } from '../core/plan.js';
import type { LlmConfig } from '../llm/llm-config.js';
import { costOf } from './pricing.js';

export interface PlanEstimate {
  tasks: { id: string; tier: Tier; model: string; costUsd: number; minutes: number }[];
  totalUsd: number;
  /** Sum of all agent time. */
  agentMinutes: number;
  /** The heaviest dependency chain: with enough parallelism, the least wall time (CI excluded). */
  criticalPathMinutes: number;
}

/** Cost and time of a plan before approval, from each task's tier, its model and the pricing table. */
export function estimatePlan(
  plan: Plan,
  llm: Pick<LlmConfig, 'models' | 'pricing' | 'tierUsage'>,
): PlanEstimate {
  const tasks = plan.tasks.map((t) => {
    const model = llm.models.tiers[t.tier];
    const usage = llm.tierUsage[t.tier];
    const costUsd = costOf(
      { ...usage, cacheReadTokens: 0, cacheWriteTokens: 0 },
      model,
      llm.pricing,
    );
    return { id: t.id, tier: t.tier, model, costUsd, minutes: t.estimate };
  });
  return {
    tasks,
    totalUsd: Math.round(tasks.reduce((sum, t) => sum + t.costUsd, 0) * 1e6) / 1e6,
    agentMinutes: tasks.reduce((sum, t) => sum + t.minutes, 0),
    criticalPathMinutes: Dag.of(plan.tasks).criticalPath().length,
  };
}
