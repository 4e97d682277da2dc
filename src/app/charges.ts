import type { GoalContext } from './goal-context.js';

/** Spend what planner calls cost from the goal's budget (failed calls are billed too). */
export function charge(
  g: GoalContext,
  operation: string,
  calls: readonly { costUsd: number }[],
): void {
  const costUsd = calls.reduce((n, c) => n + c.costUsd, 0);
  if (costUsd > 0 && g.session.state)
    g.session.apply({ type: 'llm.charged', at: g.deps.now(), operation, costUsd });
}
