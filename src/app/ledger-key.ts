import type { GoalState } from '../core/goal.js';

/** The ledger's key of one task attempt: the same on every replica and every retried pass. */
export function attemptKey(goal: string, s: GoalState, taskId: string, attempt: number): string {
  return `${goal}:${s.id ?? 'goal'}:${taskId}:${attempt}`;
}
