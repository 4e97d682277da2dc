import { ignore, type Handler } from './handler.js';

/**
 * The goal branch: made at the base, moved only forward (by fast-forward) to green candidates of
 * the queue (`queue.ts`), and reset (forced) only to a new base before anything landed.
 */

export const onBranchCreated: Handler<'goal-branch.created'> = (d, e) => {
  if (d.s.startedAt === undefined) return ignore('wrong-status', 'the goal has not started');
  if (d.s.branchCreated) return ignore('duplicate', `${d.s.branch} is already recorded`);
  d.s.branchCreated = true;
  d.s.goalHead = e.sha ?? d.s.lastGreen;
  return undefined;
};

export const onRefAdvanced: Handler<'goal-ref.advanced'> = (d, e) => {
  if (d.s.goalHead === e.sha) return ignore('duplicate', `${d.s.branch} is already there`);
  d.s.goalHead = e.sha;
  d.s.greenSinceAdvance = undefined;
  return undefined;
};

export const onRefReset: Handler<'goal-ref.reset'> = (d, e) => {
  if (d.s.resetPending?.fromSha !== e.fromSha)
    return ignore('duplicate', `no reset from ${e.fromSha.slice(0, 7)} is waiting`);
  d.s.goalHead = d.s.resetPending.toSha;
  d.s.resetPending = undefined;
  return undefined;
};

export const onRefsDeleted: Handler<'candidate-refs.deleted'> = (d, e) => {
  if (e.upTo <= (d.s.refsDeleted ?? 0))
    return ignore('duplicate', `candidate refs up to ${e.upTo} are already deleted`);
  d.s.refsDeleted = e.upTo;
  return undefined;
};
