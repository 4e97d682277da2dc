import type { GoalEvent, GoalEventType } from '../../src/core/events.js';

/**
 * Typed builders of the reducer's events for tests: each returns the precise event type, so a
 * change to an event's shape breaks the tests at compile time instead of hiding behind a cast.
 * Defaults are the common case (attempt 1, plan version 1, time 0); fields a test cares about go
 * in the argument, typed by the event's own fields.
 */
export type EventOf<T extends GoalEventType> = Extract<GoalEvent, { type: T }>;

/** The fields `K` must be given; every other field of the event may be. */
type Args<E, K extends keyof E = never> = Pick<E, K> & Partial<Omit<E, 'type'>>;

type CiVerdict = EventOf<'ci.verdict'>;
type BaseGreen = Extract<EventOf<'base.verdict'>, { verdict: 'green' }>;
type BaseRed = Extract<EventOf<'base.verdict'>, { verdict: 'red' }>;
export type CiGreen = Extract<CiVerdict, { verdict: 'green' }>;
export type CiRed = Extract<CiVerdict, { verdict: 'red' }>;

export function planProposed(a: Args<EventOf<'plan.proposed'>, 'plan'>): EventOf<'plan.proposed'> {
  return { type: 'plan.proposed', at: 0, version: 1, ...a };
}

export function replanRequested(
  a: Args<EventOf<'replan.requested'>> = {},
): EventOf<'replan.requested'> {
  return { type: 'replan.requested', at: 0, feedback: 'smaller, please', ...a };
}

export function approvalsChanged(
  a: Args<EventOf<'approvals.changed'>, 'changes'>,
): EventOf<'approvals.changed'> {
  return { type: 'approvals.changed', at: 0, planVersion: 1, ...a };
}

/** Ticks of every given task, as a maintainer makes them in the plan comment. */
export const approve = (taskIds: string[], a: Args<EventOf<'approvals.changed'>> = {}) =>
  approvalsChanged({
    actor: 'maint',
    changes: taskIds.map((taskId) => ({ taskId, approved: true })),
    ...a,
  });

export function start(a: Args<EventOf<'start'>> = {}): EventOf<'start'> {
  return { type: 'start', at: 0, baseSha: 'base', planVersion: 1, ...a };
}

export function taskDispatched(
  a: Args<EventOf<'task.dispatched'>, 'taskId' | 'runId'>,
): EventOf<'task.dispatched'> {
  return { type: 'task.dispatched', at: 0, attempt: 1, ...a };
}

export function taskFinished(
  a: Args<EventOf<'task.finished'>, 'taskId'>,
): EventOf<'task.finished'> {
  return {
    type: 'task.finished',
    at: 0,
    attempt: 1,
    outcome: 'success',
    usage: { costUsd: 0.1 },
    ...a,
  };
}

/** `landing` is the `n` of the land-task effect answered: no default can know it. */
export function landingResult(
  a: Args<EventOf<'landing.result'>, 'taskId' | 'landing' | 'result'>,
): EventOf<'landing.result'> {
  return { type: 'landing.result', at: 0, attempt: 1, ...a };
}

export function ciGreen(a: Args<CiGreen, 'sha'>): CiGreen {
  return { type: 'ci.verdict', at: 0, verdict: 'green', ...a };
}

export function ciRed(a: Args<CiRed, 'sha'>): CiRed {
  return { type: 'ci.verdict', at: 0, verdict: 'red', failedChecks: ['test'], ...a };
}

export function recoveryProposed(
  a: Args<EventOf<'recovery.proposed'>, 'taskId' | 'action'>,
): EventOf<'recovery.proposed'> {
  return { type: 'recovery.proposed', at: 0, attempt: 1, rootCause: 'a root cause', ...a };
}

export function taskRetry(a: Args<EventOf<'task.retry'>, 'taskId'>): EventOf<'task.retry'> {
  return { type: 'task.retry', at: 0, ...a };
}

export function budgetChanged(
  a: Args<EventOf<'budget.changed'>, 'goalUsd'>,
): EventOf<'budget.changed'> {
  return { type: 'budget.changed', at: 0, ...a };
}

export function breakerChanged(
  a: Args<EventOf<'breaker.changed'>, 'gate'>,
): EventOf<'breaker.changed'> {
  return { type: 'breaker.changed', at: 0, ...a };
}

export function cancel(a: Args<EventOf<'cancel'>> = {}): EventOf<'cancel'> {
  return { type: 'cancel', at: 0, ...a };
}

/** CI's verdict on the base the goal started from (`base` unless said). */
export function baseGreen(a: Args<BaseGreen> = {}): BaseGreen {
  return { type: 'base.verdict', at: 0, sha: 'base', verdict: 'green', ...a };
}

export function baseRed(a: Args<BaseRed> = {}): BaseRed {
  return { type: 'base.verdict', at: 0, sha: 'base', verdict: 'red', failedChecks: ['test'], ...a };
}

export function tick(a: Args<EventOf<'tick'>> = {}): EventOf<'tick'> {
  return { type: 'tick', at: 0, ...a };
}

export function llmCharged(
  a: Args<EventOf<'llm.charged'>, 'operation' | 'costUsd'>,
): EventOf<'llm.charged'> {
  return { type: 'llm.charged', at: 0, ...a };
}

export function prOpened(a: Args<EventOf<'pr.opened'>, 'number'>): EventOf<'pr.opened'> {
  return { type: 'pr.opened', at: 0, ...a };
}

export function goalRefReset(
  a: Args<EventOf<'goal-ref.reset'>, 'fromSha'>,
): EventOf<'goal-ref.reset'> {
  return { type: 'goal-ref.reset', at: 0, ...a };
}
