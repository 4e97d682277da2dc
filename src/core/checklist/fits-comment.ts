import { PersistentList } from '../persistent-list.js';
import type { PlanProblem } from '../plan-error.js';
import type { Plan } from '../plan.js';
import { initGoal, zeroCounts, type GoalState, type TaskRun } from '../goal.js';
import { COMMENT_LIMIT } from './markers.js';
import { CommentTooLargeError, renderPlanComment } from './render.js';

/** The most tasks that run at once (`maxParallel` allows up to 50). */
const IN_FLIGHT = 50;

/** Room kept free for what a running goal adds: notes, failure reasons, recovery guidance. */
export const RUNTIME_MARGIN = 8 * 1024;

/**
 * A plan check for `validatePlan`: the plan's comment in its smallest form that still shows the
 * criteria of every task that may run (no picture, no descriptions) must fit GitHub's comment
 * limit with room to spare, both while it waits for approval (every criterion shown, every task
 * ticked) and late in its run (every task landed and linked, the most that run at once in
 * flight; finished tasks' criteria may then be folded away).
 */
export function planFitsComment(plan: Plan): PlanProblem[] {
  const length = Math.max(...worstCaseStates(plan).map(renderedLength));
  if (length <= COMMENT_LIMIT - RUNTIME_MARGIN) return [];
  return [
    {
      code: 'too-large',
      path: 'tasks',
      message: `the plan comment would need about ${length} characters once running; GitHub allows ${COMMENT_LIMIT} and Gantry keeps ${RUNTIME_MARGIN} free: use fewer tasks, or shorter descriptions and criteria`,
    },
  ];
}

function renderedLength(state: GoalState): number {
  try {
    return renderPlanComment(state, { key: 'size-check', smallest: true }).length;
  } catch (e) {
    if (!(e instanceof CommentTooLargeError)) throw e;
    return e.length;
  }
}

function worstCaseStates(plan: Plan): GoalState[] {
  const running = runningState(plan);
  const approved = running.tasks.map((t): TaskRun => ({
    status: 'approved',
    attempt: 0,
    extraAttempts: 0,
    approvedBy: t.approvedBy,
    approvedHash: t.approvedHash,
    reservedMicros: 0,
    spentMicros: 0,
  }));
  const awaiting: GoalState = {
    ...running,
    status: 'awaiting-approval',
    tasks: PersistentList.from(approved),
    counts: { ...zeroCounts(), approved: plan.tasks.length },
    startedAt: undefined,
    startedBy: undefined,
    pr: { requested: false, ready: false },
  };
  return [awaiting, running];
}

function runningState(plan: Plan): GoalState {
  const base = initGoal({
    repo: 'owner/repository-name',
    issue: 99999,
    title: plan.goal.title,
    at: 0,
  });
  // Distinct shas that do not compress, as real ones (random to deflate) do not: 40 hex digits
  // from a 32-bit mixing function, a fresh word for each 8 digits.
  const word = (n: number) => {
    let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    return ((x ^ (x >>> 16)) >>> 0).toString(16).padStart(8, '0');
  };
  const hex = (n: number) => [0, 1, 2, 3, 4].map((k) => word(n * 5 + k)).join('');
  return {
    ...base,
    status: 'running',
    plan,
    planVersion: 9,
    // Every task landed (its landed sha and approval hash kept), and as many as can run at once
    // (the largest `maxParallel`) still in flight with their base and published commit, which a
    // task drops once done.
    tasks: PersistentList.from(
      plan.tasks.map((_, i) => ({
        status: i < IN_FLIGHT ? ('validating' as const) : ('done' as const),
        attempt: 3,
        extraAttempts: 0,
        runId: 20_000_000_000 + i,
        landedSha: hex(i),
        ...(i < IN_FLIGHT ? { baseSha: hex(i + 7), publishedSha: hex(i + 100_000) } : {}),
        approvedBy: 'a-maintainer-login',
        approvedHash: hex(i + 3).slice(0, 32),
        reservedMicros: 5_000_000,
        spentMicros: 4_321_987,
      })),
    ),
    counts: {
      ...zeroCounts(),
      validating: Math.min(IN_FLIGHT, plan.tasks.length),
      done: Math.max(0, plan.tasks.length - IN_FLIGHT),
    },
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
