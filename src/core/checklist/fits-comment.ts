import { PersistentList } from '../persistent-list.js';
import type { PlanProblem } from '../plan-error.js';
import type { Plan } from '../plan.js';
import { initGoal, zeroCounts, type GoalState } from '../goal.js';
import { COMMENT_LIMIT } from './markers.js';
import { CommentTooLargeError, renderPlanComment } from './render.js';

/** Room kept free for what a running goal adds: notes, failure reasons, recovery guidance. */
export const RUNTIME_MARGIN = 8 * 1024;

/**
 * A plan check for `validatePlan`: the plan's comment in its smallest form that still shows every
 * task's criteria (no picture, no descriptions), as it will look with every task run, landed and
 * linked, must fit GitHub's comment limit with room to spare.
 */
export function planFitsComment(plan: Plan): PlanProblem[] {
  const state = worstCaseState(plan);
  let length: number;
  try {
    length = renderPlanComment(state, { key: 'size-check', smallest: true }).length;
  } catch (e) {
    if (!(e instanceof CommentTooLargeError)) throw e;
    length = e.length;
  }
  if (length <= COMMENT_LIMIT - RUNTIME_MARGIN) return [];
  return [
    {
      code: 'too-large',
      path: 'tasks',
      message: `the plan comment would need about ${length} characters once running; GitHub allows ${COMMENT_LIMIT} and Gantry keeps ${RUNTIME_MARGIN} free: use fewer tasks, or shorter descriptions and criteria`,
    },
  ];
}

function worstCaseState(plan: Plan): GoalState {
  const base = initGoal({
    repo: 'owner/repository-name',
    issue: 99999,
    title: plan.goal.title,
    at: 0,
  });
  // Distinct, incompressible-looking shas and run ids, as a finished goal holds.
  const hex = (n: number) =>
    (n * 2654435761 + 0x9e3779b9).toString(16).padStart(8, '0').slice(-8).repeat(5);
  return {
    ...base,
    status: 'running',
    plan,
    planVersion: 9,
    tasks: PersistentList.from(
      plan.tasks.map((_, i) => ({
        status: 'validating' as const,
        attempt: 3,
        extraAttempts: 0,
        runId: 20_000_000_000 + i,
        baseSha: hex(i + 7),
        landedSha: hex(i),
        approvedBy: 'a-maintainer-login',
        approvedHash: hex(i + 3).slice(0, 32),
        reservedMicros: 5_000_000,
        spentMicros: 4_321_987,
      })),
    ),
    counts: { ...zeroCounts(), validating: plan.tasks.length },
    // Model names as long as real ones, so the estimates take the room they will.
    settings: {
      ...base.settings,
      tiers: {
        small: { model: 'claude-sonnet-5-5-20261101', estimateUsd: 0.45 },
        medium: { model: 'claude-sonnet-5-5-20261101', estimateUsd: 1.2 },
        large: { model: 'claude-opus-5-5-20261101', estimateUsd: 6 },
      },
    },
    unmet: plan.tasks.map(() => 0),
    ready: [],
    startedAt: 0,
    startedBy: 'a-maintainer-login',
    now: 3_600_000,
    pr: { requested: true, number: 99999, ready: false },
  };
}
