import type { Draft } from '../draft.js';
import type { RecoveryAction } from '../events.js';
import { isRunning, type TaskRun, type TaskStatus } from '../goal.js';
import { injectTasks } from '../inject-tasks.js';
import {
  admitApproved,
  awaitApproval,
  blockDependents,
  cancelTask,
  makeRunnable,
  needsHuman,
  recordApproval,
  satisfy,
  unblockDependents,
} from '../lifecycle.js';
import { planFitsComment } from '../checklist/fits-comment.js';
import { validatePlan } from '../validate-plan.js';
import { ignore, type Handler } from './handler.js';
import { currentAttempt } from './current-attempt.js';

/** Failed attempts: the recovery planner's answer, a person's retry or skip, questions posted. */

export const onRecovery: Handler<'recovery.proposed'> = (d, e) => {
  const i = currentAttempt(d, e.taskId, e.attempt, 'failed');
  if (typeof i !== 'number') return i;
  applyRecovery(d, i, e.action, e.rootCause);
  return undefined;
};

export function applyRecovery(
  d: Draft,
  i: number,
  action: RecoveryAction,
  rootCause: string,
): void {
  const id = d.taskId(i);
  if (action.kind === 'escalate') {
    needsHuman(d, i, rootCause, action.question);
    return;
  }
  if (action.kind === 'retry') {
    makeRunnable(d, i, 'retrying', `${rootCause}\n\n${action.guidance}`);
    return;
  }
  const newIds = action.tasks.map((t) => t.id);
  const result = validatePlan(injectTasks(d.plan, id, action.tasks), [planFitsComment]);
  if (!result.ok) {
    needsHuman(
      d,
      i,
      `recovery proposed tasks that do not fit the plan: ${result.error.problems.map((p) => p.message).join('; ')}`,
      `Recovery for ${id} proposed tasks that do not fit the plan. Root cause: ${rootCause}. What should happen next?`,
    );
    return;
  }
  const s = d.s;
  const first = s.tasks.length;
  s.plan = result.plan;
  s.tasks = s.tasks.concat(
    action.tasks.map((): TaskRun => ({
      status: 'proposed',
      attempt: 0,
      extraAttempts: 0,
      reservedMicros: 0,
      spentMicros: 0,
    })),
  );
  s.counts = { ...s.counts, proposed: s.counts.proposed + action.tasks.length };
  const done = (k: number) =>
    s.tasks.at(k)!.status === 'done' || s.tasks.at(k)!.status === 'skipped';
  const dag = d.index.dag;
  const unmet = d.unmet();
  unmet[i] = unmet[i]! + newIds.length;
  for (let k = first; k < s.tasks.length; k++)
    unmet[k] = dag.deps[k]!.filter((j) => !done(j)).length;
  const guidance = `${rootCause}\n\n${action.guidance ?? `Tasks ${newIds.join(', ')} were added to prepare this one.`}`;
  d.record(id, 'plan', `+${newIds.join(',')}`, rootCause);
  if (s.settings.recovery.autoApprove) {
    // The config lets recovery's tasks (and the failed task's new dependencies) run unticked.
    for (let k = first; k < s.tasks.length; k++) {
      recordApproval(d, k, { policy: 'recovery-auto-approve' });
      admitApproved(d, k);
    }
    recordApproval(d, i, { policy: 'recovery-auto-approve' });
    makeRunnable(d, i, 'retrying', guidance);
    // A new task held by a dead dependency holds the failed task too.
    for (let k = first; k < s.tasks.length; k++)
      if (s.tasks.at(k)!.status === 'blocked') blockDependents(d, k);
  } else {
    // Recovery's tasks come from a model that read CI logs and agent output: a person approves
    // them, and the failed task, whose dependencies changed, waits for that too.
    for (let k = first; k < s.tasks.length; k++)
      d.setTask(k, { reason: `awaiting approval: recovery added it for ${id}` });
    d.setTask(i, { guidance });
    awaitApproval(d, i, `awaiting approval: recovery added ${newIds.join(', ')} before it`);
    const ids = [...newIds, id].join(', ');
    d.setStatus(
      s.status,
      s.pausedFor,
      `Recovery for ${id} added ${newIds.join(', ')} (${rootCause}). They need approval: a person with write access ticks ${ids} in this comment (or comments \`/gantry approve ${[...newIds, id].join(' ')}\`); \`/gantry skip\` refuses one. ${id} waits for them.`,
    );
  }
  // The new tasks change critical-path ranks: re-rank what is ready.
  d.resortReady();
}

export const onRetry: Handler<'task.retry'> = (d, e) => {
  if (!isRunning(d.s.status) && d.s.status !== 'partial')
    return ignore(
      'wrong-status',
      `tasks can be retried while the goal runs, not while it is ${d.s.status}`,
    );
  const i = d.indexOf(e.taskId);
  if (i === undefined) return ignore('unknown-task', `${e.taskId} is not in the plan`);
  const t = d.task(i);
  if (t.status !== 'needs-human' && t.status !== 'failed' && t.status !== 'cancelled')
    return ignore(
      'wrong-status',
      `${e.taskId} is ${t.status}; only failed tasks or tasks that need a human can be retried`,
    );
  if (d.s.status === 'partial') d.setStatus('running');
  d.setTask(i, {
    extraAttempts: Math.max(t.extraAttempts, t.attempt + 1 - d.s.settings.maxAttempts),
  });
  makeRunnable(d, i, 'retrying', `Retry requested by ${e.actor ?? 'a maintainer'}.`);
  unblockDependents(d, i);
  return undefined;
};

const SKIPPABLE: ReadonlySet<TaskStatus> = new Set([
  // Awaiting approval while the goal runs: skipping refuses it.
  'proposed',
  'queued',
  'retrying',
  'blocked',
  'needs-human',
  'failed',
  'running',
  'cancelled',
]);

export const onSkip: Handler<'task.skip'> = (d, e) => {
  if (!isRunning(d.s.status) && d.s.status !== 'partial')
    return ignore(
      'wrong-status',
      `tasks can be skipped while the goal runs, not while it is ${d.s.status}`,
    );
  const i = d.indexOf(e.taskId);
  if (i === undefined) return ignore('unknown-task', `${e.taskId} is not in the plan`);
  const t = d.task(i);
  if (!SKIPPABLE.has(t.status))
    return ignore('wrong-status', `${e.taskId} is ${t.status} and cannot be skipped`);
  if (d.s.status === 'partial') d.setStatus('running');
  cancelTask(d, i, 'skipped', `skipped by ${e.actor ?? 'a maintainer'}`);
  satisfy(d, i);
  unblockDependents(d, i);
  return undefined;
};

export const onEscalationPosted: Handler<'escalation.posted'> = (d, e) => {
  const i = d.indexOf(e.taskId);
  if (i === undefined) return ignore('unknown-task', `${e.taskId} is not in the plan`);
  const t = d.task(i);
  if (t.attempt !== e.attempt || t.asking === undefined)
    return ignore('duplicate', `no question about ${e.taskId} attempt ${e.attempt} is waiting`);
  d.setTask(i, { asking: undefined });
  return undefined;
};
