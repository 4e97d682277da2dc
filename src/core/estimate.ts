import { Dag } from './dag.js';
import type { Plan, Tier } from './plan.js';

/**
 * What a task of each tier is expected to cost: the model it runs on and the price of the tier's
 * usual token usage on it. The App works it out from the LLM config when a goal is created, so
 * the core (which knows no prices) can show estimates.
 */
export type TierEstimates = Record<Tier, { model: string; estimateUsd: number }>;

export interface PlanEstimate {
  tasks: { id: string; tier: Tier; model: string; costUsd: number; minutes: number }[];
  /** Of the tasks counted. */
  totalUsd: number;
  /** Sum of the agent time of the tasks counted. */
  agentMinutes: number;
  /** The heaviest dependency chain of the tasks counted: the least wall time (CI excluded). */
  criticalPathMinutes: number;
}

/**
 * Cost and time of a plan before it runs, from each task's tier and estimate. `counts` picks the
 * tasks that will run (a task not approved costs nothing); every task still gets its own figures.
 */
export function planEstimate(
  plan: Plan,
  tiers: TierEstimates,
  counts: (i: number) => boolean = () => true,
): PlanEstimate {
  const tasks = plan.tasks.map((t) => ({
    id: t.id,
    tier: t.tier,
    model: tiers[t.tier].model,
    costUsd: tiers[t.tier].estimateUsd,
    minutes: t.estimate,
  }));
  const counted = tasks.filter((_, i) => counts(i));
  return {
    tasks,
    totalUsd: Math.round(counted.reduce((sum, t) => sum + t.costUsd, 0) * 1e6) / 1e6,
    agentMinutes: counted.reduce((sum, t) => sum + t.minutes, 0),
    criticalPathMinutes: Dag.of(plan.tasks).criticalPath((i) =>
      counts(i) ? plan.tasks[i]!.estimate : 0,
    ).length,
  };
}
