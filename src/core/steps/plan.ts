import { DagError } from '../dag.js';
import { clip, LIMITS, planIndex, type Draft } from '../draft.js';
import { EDITABLE_FIELDS, editTask, type TaskEdit } from '../edit-task.js';
import { isRunning, zeroCounts, type TaskRun } from '../goal.js';
import { PersistentList } from '../persistent-list.js';
import { planProblemText } from '../plan-problem-text.js';
import {
  admitApproved,
  awaitApproval,
  blockDependents,
  makeRunnable,
  recordApproval,
} from '../lifecycle.js';
import { approvedAsDefined, taskDefinitionHash } from '../task-definition.js';
import { planFitsComment } from '../checklist/fits-comment.js';
import { validatePlan } from '../validate-plan.js';
import { ignore, type Handler, type Ignored } from './handler.js';

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
  s.planRetry = undefined;
  s.tasks = PersistentList.from(
    e.plan.tasks.map((t): TaskRun => ({
      status: auto ? 'approved' : 'proposed',
      attempt: 0,
      extraAttempts: 0,
      reservedMicros: 0,
      spentMicros: 0,
      // The auto policy approves exactly this plan's definitions, like a person's ticks.
      ...(auto
        ? { approvedHash: taskDefinitionHash(t), approvedVia: 'auto-approval', approvedAt: e.at }
        : {}),
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
  d.s.planRetry = undefined;
  d.setStatus('failed', undefined, e.reason);
  return undefined;
};

export const onPlanDeferred: Handler<'plan.deferred'> = (d, e) => {
  if (d.s.status !== 'planning')
    return ignore('wrong-status', `planning is not in progress (the goal is ${d.s.status})`);
  d.s.planRetry = { attempts: (d.s.planRetry?.attempts ?? 0) + 1, retryAt: e.retryAt };
  d.setStatus('planning', undefined, e.reason);
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
  d.s.planRetry = undefined;
  return undefined;
};

/**
 * Ticks, unticks and edits a person made. Before Start any task may change; while the goal runs
 * (or waits for a person) only tasks awaiting approval may be edited or ticked, the tasks recovery
 * added among them. Edits come first: a task's definition changed, its approval is gone, unless
 * the same event ticks it (the person ticked what they wrote). A tick that names the definition
 * the person saw (`hash`, before their own edits) is refused when the task changed since.
 */
export const onApprovals: Handler<'approvals.changed'> = (d, e) => {
  const s = d.s;
  const before = s.status === 'awaiting-approval';
  if (!before && !isRunning(s.status) && s.status !== 'partial')
    return ignore(
      'wrong-status',
      `approvals change before Start, or while the goal runs for tasks awaiting approval (the goal is ${s.status})`,
    );
  if (e.planVersion !== s.planVersion)
    return ignore(
      'stale-plan',
      `the ticks are on plan version ${e.planVersion}, not the current version ${s.planVersion}`,
    );
  const actor = e.actor;
  if (actor === undefined && e.changes.some((c) => c.approved))
    return ignore('no-approver', 'an approval needs the person who gave it');
  const seen = s.plan?.tasks;
  let changed = false;
  if (e.edits?.length) {
    const edited = applyEdits(d, e.edits, before);
    if (typeof edited !== 'boolean') return edited;
    changed = edited;
  }
  for (const c of e.changes) {
    const i = d.indexOf(c.taskId);
    if (i === undefined) continue;
    const t = d.task(i);
    const hash = taskDefinitionHash(d.plan.tasks[i]!);
    if (c.approved && c.hash !== undefined && c.hash !== taskDefinitionHash(seen![i]!))
      return ignore(
        'stale-plan',
        `${c.taskId} changed after the version you ticked; the plan comment shows it as it is now: tick it again to approve that`,
      );
    if (!before) {
      if (!c.approved || t.status !== 'proposed') continue;
      recordApproval(d, i, { person: actor! });
      admitApproved(d, i);
    } else if (c.approved) {
      if (t.status === 'approved' && t.approvedHash === hash) continue;
      d.setTask(i, { status: 'approved', reason: undefined });
      recordApproval(d, i, { person: actor! });
    } else {
      if (t.status === 'excluded') continue;
      d.setTask(i, {
        status: 'excluded',
        reason: undefined,
        approvedHash: undefined,
        approvedBy: undefined,
        approvedAt: undefined,
        approvedVia: undefined,
      });
    }
    changed = true;
  }
  if (changed) {
    if (s.status === 'partial') d.setStatus('running');
    return undefined;
  }
  return before
    ? ignore('no-change', 'no approval or text changed')
    : ignore(
        'wrong-status',
        `while the goal is ${s.status}, only tasks awaiting approval (unticked) can be ticked or edited`,
      );
};

/**
 * Apply a person's edits to the plan: true when a definition changed, false when none did, or
 * why the edits are refused (the plan they make is invalid, or a task may not change now).
 * Every task whose definition changed waits for approval again.
 */
function applyEdits(d: Draft, edits: readonly TaskEdit[], before: boolean): boolean | Ignored {
  const original = d.plan.tasks;
  const tasks = original.slice();
  const touched: number[] = [];
  for (const edit of edits) {
    const i = d.indexOf(edit.taskId);
    if (i === undefined) return ignore('unknown-task', `${edit.taskId} is not in the plan`);
    const next = editTask(tasks[i]!, edit);
    if (next === tasks[i]) continue;
    const status = d.task(i).status;
    if (!before && status !== 'proposed')
      return ignore(
        'wrong-status',
        `${edit.taskId} is ${status}: while the goal runs only tasks awaiting approval can be edited`,
      );
    tasks[i] = next;
    if (!touched.includes(i)) touched.push(i);
  }
  if (touched.length === 0) return false;
  const result = validatePlan({ ...d.plan, tasks }, [planFitsComment]);
  if (!result.ok)
    return ignore(
      'invalid-plan',
      `the edit was not taken, the plan is kept as it was: ${result.error.problems.map((p) => planProblemText(tasks, p)).join('; ')}`,
    );
  d.s.plan = result.plan;
  const who = d.event.actor ? ` by ${d.event.actor}` : '';
  for (const i of touched) {
    const fields = EDITABLE_FIELDS.filter(
      (f) => JSON.stringify(tasks[i]![f]) !== JSON.stringify(original[i]![f]),
    );
    d.record(d.taskId(i), 'definition', 'edited', fields.join(', '));
    if (d.task(i).status === 'excluded') d.setTask(i, { approvedHash: undefined });
    else awaitApproval(d, i, `awaiting approval: edited${who} (${fields.join(', ')})`);
  }
  recountUnmet(d, touched);
  return true;
}

/** Dependencies of edited tasks may have changed: what each waits for, and the ranks, again. */
function recountUnmet(d: Draft, touched: readonly number[]): void {
  const { dag } = d.index;
  const unmet = d.unmet();
  const settled = (j: number) => ['done', 'skipped'].includes(d.task(j).status);
  for (const i of touched) unmet[i] = dag.deps[i]!.filter((j) => !settled(j)).length;
  d.resortReady();
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
  // Nothing lands before CI's verdict on the base is known (an owed judge-base).
  s.baseVerdict = { sha: e.baseSha, verdict: 'pending', since: e.at };
  s.startedAt = e.at;
  s.startedBy = e.actor;
  s.tasks.forEach((t, i) => {
    // Only a definition still as approved runs (an approval never outlives a change).
    if (t.status === 'approved' && approvedAsDefined(d.plan.tasks[i]!, t))
      makeRunnable(d, i, 'queued');
    else d.setTask(i, { status: 'excluded', reason: 'not approved' });
  });
  s.tasks.forEach((t, i) => t.status === 'excluded' && blockDependents(d, i));
  // The goal branch is owed from here on (create-goal-branch, answered by goal-branch.created).
  d.setStatus('running');
  return undefined;
};
