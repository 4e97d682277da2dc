import { isOpen, isRunning } from '../goal.js';
import { cancelTask } from '../lifecycle.js';
import { toMicros } from '../money.js';
import { recheckBase } from './base.js';
import { ignore, type Handler } from './handler.js';

/** A person's controls (pause, resume, cancel, budget), the breaker, spending and the PR. */

export const onPause: Handler<'pause'> = (d) => {
  if (d.s.status === 'paused' && d.s.pausedFor === 'user')
    return ignore('no-change', 'the goal is already paused');
  if (!isRunning(d.s.status))
    return ignore('wrong-status', `only a running goal can be paused (it is ${d.s.status})`);
  d.setStatus(
    'paused',
    'user',
    `Paused by ${d.event.actor ?? 'a maintainer'}: \`/gantry resume\` to go on.`,
  );
  return undefined;
};

export const onResume: Handler<'resume'> = (d, e) => {
  if (d.s.status !== 'paused')
    return ignore('wrong-status', `only a paused goal can resume (it is ${d.s.status})`);
  d.setStatus('running');
  recheckBase(d, e);
  return undefined;
};

export const onCancel: Handler<'cancel'> = (d, e) => {
  if (!isOpen(d.s.status)) return ignore('wrong-status', `the goal is already ${d.s.status}`);
  d.s.tasks.forEach((t, i) => {
    if (!['done', 'skipped', 'excluded', 'cancelled'].includes(t.status))
      cancelTask(d, i, 'cancelled', 'goal cancelled');
  });
  d.s.queue = [];
  d.s.held = [];
  d.s.heldAfter = undefined;
  d.s.landQueue = [];
  d.s.finishedAt = e.at;
  d.setStatus('cancelled', undefined, e.reason ?? `Cancelled by ${e.actor ?? 'a maintainer'}.`);
  return undefined;
};

export const onBudget: Handler<'budget.changed'> = (d, e) => {
  if (!isOpen(d.s.status)) return ignore('wrong-status', `the goal is ${d.s.status}`);
  const capMicros = toMicros(e.goalUsd);
  if (capMicros === d.s.budget.capMicros) return ignore('no-change', 'the budget is unchanged');
  d.s.settings = { ...d.s.settings, budget: { ...d.s.settings.budget, goalUsd: e.goalUsd } };
  d.s.budget = { ...d.s.budget, capMicros };
  if (d.s.status === 'paused' && d.s.pausedFor === 'budget') d.setStatus('running');
  return undefined;
};

export const onBreaker: Handler<'breaker.changed'> = (d, e) => {
  if (d.s.breaker === e.gate) return ignore('no-change', `the breaker is already ${e.gate}`);
  d.s.breaker = e.gate;
  if (e.gate !== 'open' && d.s.status === 'paused' && d.s.pausedFor === 'breaker')
    d.setStatus('running');
  return undefined;
};

export const onOutcomeReported: Handler<'outcome.reported'> = (d, e) => {
  const list = d.s.outcomes ?? [];
  const rest = list.filter((o) => o.taskId !== e.taskId || o.attempt !== e.attempt);
  if (rest.length === list.length)
    return ignore('duplicate', `the outcome of ${e.taskId} attempt ${e.attempt} is not waiting`);
  d.s.outcomes = rest.length ? rest : undefined;
  return undefined;
};

export const onCharged: Handler<'llm.charged'> = (d, e) => {
  const micros = toMicros(e.costUsd);
  if (!(micros > 0)) return ignore('no-change', `nothing to charge for ${e.operation}`);
  // Spent is spent, even past the cap: later reservations then fail and the goal pauses.
  const planning = e.operation === 'plan' || e.operation === 'replan';
  d.s.budget = {
    ...d.s.budget,
    spentMicros: d.s.budget.spentMicros + micros,
    ...(planning ? { issuePlanningMicros: (d.s.budget.issuePlanningMicros ?? 0) + micros } : {}),
  };
  d.s.plannerMicros = (d.s.plannerMicros ?? 0) + micros;
  return undefined;
};

export const onPrOpened: Handler<'pr.opened'> = (d, e) => {
  if (d.s.pr.number === e.number)
    return ignore('duplicate', `pull request #${e.number} is already recorded`);
  d.s.pr = { ...d.s.pr, requested: true, number: e.number };
  return undefined;
};

export const onPrMarkedReady: Handler<'pr.marked-ready'> = (d, e) => {
  if (!d.s.pr.ready || d.s.pr.number !== e.number)
    return ignore('wrong-status', `pull request #${e.number} is not waiting to be marked ready`);
  if (d.s.pr.readyMarked) return ignore('duplicate', `pull request #${e.number} is already ready`);
  d.s.pr = { ...d.s.pr, readyMarked: true };
  return undefined;
};

export const onPrAccountUpdated: Handler<'pr.account-updated'> = (d, e) => {
  if (d.s.pr.number !== e.number)
    return ignore('superseded', `pull request #${e.number} is not the goal's`);
  if (d.s.pr.accountAt === e.finishedAt)
    return ignore('duplicate', 'the account is already written for this end of the goal');
  d.s.pr = { ...d.s.pr, accountAt: e.finishedAt };
  return undefined;
};

/** Commands remembered: far more than a goal's comments between two reconciles. */
const COMMANDS_KEPT = 50;

export const onCommandHandled: Handler<'command.handled'> = (d, e) => {
  if (d.s.commands?.includes(e.commentId))
    return ignore('duplicate', `command ${e.commentId} was already carried out`);
  d.s.commands = [...(d.s.commands ?? []), e.commentId].slice(-COMMANDS_KEPT);
  return undefined;
};
