import { DagError } from '../dag.js';
import { clip, LIMITS, planIndex, type Draft } from '../draft.js';
import type { GoalEvent } from '../events.js';
import { zeroCounts, type TaskRun } from '../goal.js';
import { PersistentList } from '../persistent-list.js';
import { blockDependents, makeRunnable } from '../lifecycle.js';
import type { Plan } from '../plan.js';
import { planFitsComment } from '../checklist/fits-comment.js';
import { validatePlan } from '../validate-plan.js';
import { ignore, type Handler } from './handler.js';

/** Planning, approval and Start: everything before the first task runs. */

export const onPlan: Handler<'plan.proposed' | 'plan.replaced'> = (d, e) => {
  const s = d.s;
  const replacing = s.status === 'awaiting-approval';
  if (!replacing && s.status !== 'planning' && s.status !== 'failed')
    return ignore(
      'wrong-status',
      `a plan cannot be ${e.type === 'plan.replaced' ? 'replaced' : 'proposed'} while the goal is ${s.status}`,
    );
  if (e.version <= s.planVersion)
    return ignore('stale-plan', `plan version ${e.version} is not newer than ${s.planVersion}`);
  try {
    planIndex(e.plan);
  } catch (err) {
    if (err instanceof DagError)
      return ignore('invalid-plan', `the plan is invalid: ${err.message}`);
    throw err;
  }
  const auto = s.settings.approval === 'auto';
  s.plan = e.plan;
  s.planVersion = e.version;
  s.plannedTextHash = e.textHash;
  s.replanFeedback = undefined;
  s.tasks = PersistentList.from(
    e.plan.tasks.map((): TaskRun => ({
      status: auto ? 'approved' : 'proposed',
      attempt: 0,
      extraAttempts: 0,
      reservedMicros: 0,
      spentMicros: 0,
    })),
  );
  s.counts = { ...zeroCounts(), [auto ? 'approved' : 'proposed']: s.tasks.length };
  s.unmet = e.plan.tasks.map((t) => new Set(t.dependsOn).size);
  s.ready = [];
  s.outstanding = [];
  d.setStatus('awaiting-approval');
  return undefined;
};

export const onPlanFailed: Handler<'plan.failed'> = (d, e) => {
  if (d.s.status !== 'planning')
    return ignore('wrong-status', `planning is not in progress (the goal is ${d.s.status})`);
  d.setStatus('failed', undefined, e.reason);
  return undefined;
};

export const onReplan: Handler<'replan.requested'> = (d, e) => {
  if (d.s.status !== 'awaiting-approval' && d.s.status !== 'failed')
    return ignore(
      'wrong-status',
      `a replan is possible before the goal starts, not while it is ${d.s.status}`,
    );
  d.setStatus(
    'planning',
    undefined,
    e.feedback ? `Replanning with feedback: ${e.feedback}` : 'Replanning',
  );
  d.s.replanFeedback = e.feedback ? clip(e.feedback, LIMITS.feedback) : undefined;
  return undefined;
};

export const onApprovals: Handler<'approvals.changed'> = (d, e) => {
  if (d.s.status !== 'awaiting-approval')
    return ignore(
      'wrong-status',
      `approvals change only while awaiting approval (the goal is ${d.s.status})`,
    );
  if (e.planVersion !== d.s.planVersion)
    return ignore(
      'stale-plan',
      `the ticks are on plan version ${e.planVersion}, not the current version ${d.s.planVersion}`,
    );
  let changed = false;
  for (const c of e.changes) {
    const i = d.indexOf(c.taskId);
    if (i === undefined) continue;
    const to = c.approved ? 'approved' : 'excluded';
    if (d.task(i).status === to) continue;
    d.setTask(i, {
      status: to,
      approvedBy: c.approved ? e.actor : undefined,
      approvedAt: c.approved ? e.at : undefined,
    });
    changed = true;
  }
  if (e.edits?.length) changed = applyEdits(d, e.edits) || changed;
  return changed ? undefined : ignore('no-change', 'no approval or text changed');
};

function applyEdits(
  d: Draft,
  edits: NonNullable<Extract<GoalEvent, { type: 'approvals.changed' }>['edits']>,
): boolean {
  const tasks = d.plan.tasks.slice();
  let changed = false;
  for (const edit of edits) {
    const i = d.indexOf(edit.taskId);
    if (i === undefined) continue;
    const t = tasks[i]!;
    const next = {
      ...t,
      ...(edit.title !== undefined ? { title: edit.title } : {}),
      ...(edit.description !== undefined ? { description: edit.description } : {}),
    };
    if (next.title === t.title && next.description === t.description) continue;
    tasks[i] = next;
    changed = true;
  }
  if (!changed) return false;
  const candidate: Plan = { ...d.plan, tasks };
  // An edit that makes the plan invalid (an empty or multi-line title, say) is not taken.
  if (!validatePlan(candidate, [planFitsComment]).ok) return false;
  d.s.plan = candidate;
  return true;
}

export const onStart: Handler<'start'> = (d, e) => {
  const s = d.s;
  if (s.status !== 'awaiting-approval')
    return ignore('wrong-status', `the goal cannot start while it is ${s.status}`);
  if (e.planVersion !== s.planVersion)
    return ignore(
      'stale-plan',
      `Start was ticked on plan version ${e.planVersion}, not the current version ${s.planVersion}`,
    );
  if (s.counts.approved === 0)
    return ignore('nothing-approved', 'no task is approved: tick at least one task before Start');
  s.goalHead = e.baseSha;
  s.lastGreen = e.baseSha;
  s.startedAt = e.at;
  s.startedBy = e.actor;
  s.tasks.forEach((t, i) => {
    if (t.status === 'approved') makeRunnable(d, i, 'queued');
    else d.setTask(i, { status: 'excluded', reason: 'not approved' });
  });
  s.tasks.forEach((t, i) => t.status === 'excluded' && blockDependents(d, i));
  // The goal branch is owed from here on (create-goal-branch, answered by goal-branch.created).
  d.setStatus('running');
  return undefined;
};
