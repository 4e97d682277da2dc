import { settle } from './budget.js';
import { DagError } from './dag.js';
import { clip, Draft, LIMITS, planIndex } from './draft.js';
import type { AuditRecord, Effect } from './effects.js';
import type { GoalEvent, RecoveryAction } from './events.js';
import type { GoalState, TaskRun } from './goal.js';
import { zeroCounts } from './goal.js';
import { mergeFindings } from './findings.js';
import { injectTasks } from './inject-tasks.js';
import { labelsFor } from './labels.js';
import {
  cancelTask,
  failAttempt,
  isDead,
  makeRunnable,
  markDone,
  needsHuman,
  satisfy,
  unblockDependents,
  blockDependents,
} from './lifecycle.js';
import { toMicros } from './money.js';
import type { Plan } from './plan.js';
import { advance, continueLanding, endLanding } from './schedule.js';
import { planFitsComment } from './checklist/fits-comment.js';
import { validatePlan } from './validate-plan.js';

export interface StepResult {
  state: GoalState;
  effects: Effect[];
  /** Set when the event did not apply; the state is then the same object as before. */
  ignored?: string;
  audit: AuditRecord[];
}

type Handler<T extends GoalEvent['type']> = (
  d: Draft,
  e: Extract<GoalEvent, { type: T }>,
) => string | undefined;

const ACTIVE = new Set(['running', 'paused']);
const OPEN = new Set(['planning', 'awaiting-approval', 'running', 'paused', 'partial', 'failed']);

/**
 * The goal reducer. Total: every event is accepted in every state; one that does not apply
 * returns the same state and the reason, so duplicated, late and reordered events are harmless.
 */
export function step(state: GoalState, event: GoalEvent): StepResult {
  const d = new Draft(state, event);
  const reason = dispatch(d, event);
  if (reason !== undefined) return { state, effects: [], ignored: reason, audit: [] };
  advance(d);
  return finish(d);
}

/** Replay an event log from an initial state: the goal is a fold over its events. */
export function replay(
  initial: GoalState,
  events: readonly GoalEvent[],
): { state: GoalState; effects: Effect[] } {
  let state = initial;
  const effects: Effect[] = [];
  for (const e of events) {
    const r = step(state, e);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

function dispatch(d: Draft, e: GoalEvent): string | undefined {
  switch (e.type) {
    case 'plan.proposed':
    case 'plan.replaced':
      return onPlan(d, e);
    case 'plan.failed':
      return onPlanFailed(d, e);
    case 'replan.requested':
      return onReplan(d, e);
    case 'approvals.changed':
      return onApprovals(d, e);
    case 'start':
      return onStart(d, e);
    case 'task.dispatch-sent':
      return onDispatchSent(d, e);
    case 'task.dispatched':
      return onDispatched(d, e);
    case 'task.finished':
      return onFinished(d, e);
    case 'landing.result':
      return onLanding(d, e);
    case 'ci.verdict':
      return onVerdict(d, e);
    case 'recovery.proposed':
      return onRecovery(d, e);
    case 'task.retry':
      return onRetry(d, e);
    case 'task.skip':
      return onSkip(d, e);
    case 'pause':
      return onPause(d, e);
    case 'resume':
      return onResume(d, e);
    case 'cancel':
      return onCancel(d, e);
    case 'budget.changed':
      return onBudget(d, e);
    case 'breaker.changed':
      return onBreaker(d, e);
    case 'pr.opened':
      return onPrOpened(d, e);
    case 'llm.charged':
      return onCharged(d, e);
    case 'tick':
      return onTick(d, e);
  }
}

const onPlan: Handler<'plan.proposed' | 'plan.replaced'> = (d, e) => {
  const s = d.s;
  const replacing = s.status === 'awaiting-approval';
  if (!replacing && s.status !== 'planning' && s.status !== 'failed')
    return `a plan cannot be ${e.type === 'plan.replaced' ? 'replaced' : 'proposed'} while the goal is ${s.status}`;
  if (e.version <= s.planVersion)
    return `plan version ${e.version} is not newer than ${s.planVersion}`;
  try {
    planIndex(e.plan);
  } catch (err) {
    if (err instanceof DagError) return `the plan is invalid: ${err.message}`;
    throw err;
  }
  const auto = s.settings.approval === 'auto';
  s.plan = e.plan;
  s.planVersion = e.version;
  s.replanFeedback = undefined;
  s.tasks = e.plan.tasks.map((): TaskRun => ({
    status: auto ? 'approved' : 'proposed',
    attempt: 0,
    extraAttempts: 0,
    reservedMicros: 0,
    spentMicros: 0,
  }));
  s.counts = { ...zeroCounts(), [auto ? 'approved' : 'proposed']: s.tasks.length };
  s.unmet = e.plan.tasks.map((t) => new Set(t.dependsOn).size);
  s.ready = [];
  d.setStatus('awaiting-approval');
  return undefined;
};

const onPlanFailed: Handler<'plan.failed'> = (d, e) => {
  if (d.s.status !== 'planning') return `planning is not in progress (the goal is ${d.s.status})`;
  d.setStatus('failed', undefined, e.reason);
  return undefined;
};

const onReplan: Handler<'replan.requested'> = (d, e) => {
  if (d.s.status !== 'awaiting-approval' && d.s.status !== 'failed')
    return `a replan is possible before the goal starts, not while it is ${d.s.status}`;
  d.setStatus(
    'planning',
    undefined,
    e.feedback ? `Replanning with feedback: ${e.feedback}` : 'Replanning',
  );
  d.s.replanFeedback = e.feedback ? clip(e.feedback, LIMITS.feedback) : undefined;
  return undefined;
};

const onApprovals: Handler<'approvals.changed'> = (d, e) => {
  if (d.s.status !== 'awaiting-approval')
    return `approvals change only while awaiting approval (the goal is ${d.s.status})`;
  if (e.planVersion !== d.s.planVersion)
    return `the ticks are on plan version ${e.planVersion}, not the current version ${d.s.planVersion}`;
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
  return changed ? undefined : 'no approval or text changed';
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

const onStart: Handler<'start'> = (d, e) => {
  const s = d.s;
  if (s.status !== 'awaiting-approval') return `the goal cannot start while it is ${s.status}`;
  if (e.planVersion !== s.planVersion)
    return `Start was ticked on plan version ${e.planVersion}, not the current version ${s.planVersion}`;
  if (s.counts.approved === 0) return 'no task is approved: tick at least one task before Start';
  s.goalHead = e.baseSha;
  s.lastGreen = e.baseSha;
  s.startedAt = e.at;
  s.startedBy = e.actor;
  s.tasks.forEach((t, i) => {
    if (t.status === 'approved') makeRunnable(d, i, 'queued');
    else d.setTask(i, { status: 'excluded', reason: 'not approved' });
  });
  s.tasks.forEach((t, i) => t.status === 'excluded' && blockDependents(d, i));
  d.setStatus('running');
  d.emit({ type: 'create-goal-branch', key: `branch:${d.gid}`, branch: s.branch, sha: e.baseSha });
  return undefined;
};

/** Replace the task's reservation by what its run really cost. */
function settleRun(d: Draft, i: number, costUsd: number): void {
  const t = d.task(i);
  const cost = Math.max(0, toMicros(costUsd));
  d.s.budget = settle(d.s.budget, t.reservedMicros, cost);
  d.setTask(i, { reservedMicros: 0, spentMicros: t.spentMicros + cost });
}

function currentAttempt(
  d: Draft,
  taskId: string,
  attempt: number,
  status: TaskRun['status'],
): number | string {
  const i = d.indexOf(taskId);
  if (i === undefined) return `${taskId} is not in the plan`;
  const t = d.task(i);
  if (attempt !== t.attempt)
    return `${taskId} attempt ${attempt} is superseded by attempt ${t.attempt}`;
  if (t.status !== status) return `${taskId} is ${t.status}, not ${status}`;
  return i;
}

/**
 * A task stopped (cancelled or skipped) while its run was starting or going: its reservation is
 * kept until the run reports, so the run can still be cancelled and its cost counted.
 */
function stoppedRun(d: Draft, taskId: string, attempt: number): number | undefined {
  const i = d.indexOf(taskId);
  if (i === undefined) return undefined;
  const t = d.task(i);
  const stopped = t.status === 'cancelled' || t.status === 'skipped';
  return stopped && t.attempt === attempt && t.reservedMicros > 0 ? i : undefined;
}

const onDispatched: Handler<'task.dispatched'> = (d, e) => {
  const stopped = stoppedRun(d, e.taskId, e.attempt);
  if (stopped !== undefined && d.task(stopped).runId === undefined) {
    d.setTask(stopped, { runId: e.runId });
    d.emit({
      type: 'cancel-run',
      key: `cancel:${d.gid}:${e.taskId}:a${e.attempt}`,
      taskId: e.taskId,
      attempt: e.attempt,
      runId: e.runId,
    });
    return undefined;
  }
  const i = currentAttempt(d, e.taskId, e.attempt, 'running');
  if (typeof i === 'string') return i;
  if (d.task(i).runId !== undefined)
    return `${e.taskId} attempt ${e.attempt} already has run ${d.task(i).runId}`;
  d.setTask(i, { runId: e.runId, sentAt: undefined, guidance: undefined });
  return undefined;
};

const onDispatchSent: Handler<'task.dispatch-sent'> = (d, e) => {
  const i = currentAttempt(d, e.taskId, e.attempt, 'running');
  if (typeof i === 'string') return i;
  const t = d.task(i);
  if (t.runId !== undefined || t.sentAt !== undefined)
    return `${e.taskId} attempt ${e.attempt} was already dispatched`;
  d.setTask(i, { sentAt: e.at });
  return undefined;
};

const onFinished: Handler<'task.finished'> = (d, e) => {
  const stopped = stoppedRun(d, e.taskId, e.attempt);
  if (stopped !== undefined) {
    settleRun(d, stopped, e.usage.costUsd);
    return undefined;
  }
  const i = currentAttempt(d, e.taskId, e.attempt, 'running');
  if (typeof i === 'string') return i;
  settleRun(d, i, e.usage.costUsd);
  const t = d.task(i);
  if (t.dispatchedAt !== undefined)
    d.setTask(i, {
      ranMs: (t.ranMs ?? 0) + Math.max(0, e.at - t.dispatchedAt),
      dispatchedAt: undefined,
    });
  if (e.findings?.length && e.outcome !== 'failure')
    d.s.findings = mergeFindings(
      d.s.findings ?? [],
      e.findings.map((f) => ({
        kind: f.kind,
        text: clip(f.text, LIMITS.finding),
        source: e.taskId,
      })),
    );
  if (e.outcome === 'success') {
    d.setTask(i, { status: 'landing' });
    d.s.landQueue = [...d.s.landQueue, { task: i, solo: false }];
  } else {
    failAttempt(d, i, {
      kind: 'agent',
      detail: `agent run ended ${e.outcome}${e.summary ? `: ${e.summary}` : ''}`,
    });
  }
  return undefined;
};

const onLanding: Handler<'landing.result'> = (d, e) => {
  const L = d.s.landing;
  const m = L?.members[L.next];
  if (
    !L ||
    !m ||
    L.validating !== undefined ||
    d.taskId(m.task) !== e.taskId ||
    m.attempt !== e.attempt ||
    m.n !== e.landing
  )
    return `${e.taskId} attempt ${e.attempt} (landing ${e.landing}) is not the landing in progress`;
  const i = m.task;
  const r = e.result;
  if (r.kind === 'merged') {
    const members = L.members.slice();
    members[L.next] = { ...m, sha: r.sha };
    d.s.landing = { ...L, members };
    d.s.goalHead = r.sha;
    d.setTask(i, { status: 'validating', landedSha: r.sha });
    if (!d.s.pr.requested) {
      d.s.pr = { ...d.s.pr, requested: true };
      d.emit({
        type: 'open-draft-pr',
        key: `pr:${d.gid}`,
        branch: d.s.branch,
        title: d.s.title,
        issue: d.s.issue,
      });
    }
  } else if (r.kind === 'nothing-to-merge') {
    if (r.criteriaPassed) markDone(d, i);
    else
      failAttempt(d, i, {
        kind: 'no-change',
        detail: 'the task changed nothing and its criteria did not pass',
      });
  } else {
    failAttempt(d, i, { kind: 'conflict', detail: r.paths.join(', ') || 'unknown paths' });
  }
  continueLanding(d);
  return undefined;
};

const onVerdict: Handler<'ci.verdict'> = (d, e) => {
  const L = d.s.landing;
  if (!L?.validating) return `no landing is waiting for CI (verdict for ${e.sha.slice(0, 7)})`;
  if (L.validating !== e.sha)
    return `verdict for ${e.sha.slice(0, 7)} is not for the goal head ${L.validating.slice(0, 7)}`;
  const merged = L.members.filter(
    (m) => m.sha !== undefined && d.task(m.task).status === 'validating',
  );
  endLanding(d);
  if (e.verdict === 'green') {
    d.s.lastGreen = e.sha;
    for (const m of merged) markDone(d, m.task, m.sha);
    return undefined;
  }
  // Red: the goal head goes back to the last green sha before anything else lands.
  d.emit({
    type: 'reset-goal-ref',
    key: `reset:${d.gid}:${e.sha}`,
    branch: d.s.branch,
    toSha: d.s.lastGreen!,
    fromSha: e.sha,
  });
  d.s.goalHead = d.s.lastGreen;
  const detail = `CI failed on ${e.sha.slice(0, 7)}${e.failedChecks.length ? `: ${e.failedChecks.join(', ')}` : ''}${e.summary ? ` (${e.summary})` : ''}`;
  if (merged.length === 1) {
    failAttempt(d, merged[0]!.task, {
      kind: 'ci',
      detail,
      sha: e.sha,
      failedChecks: e.failedChecks,
    });
    return undefined;
  }
  // A red batch: land its members one at a time to find the culprit, before anything else.
  for (const m of merged)
    d.setTask(m.task, {
      status: 'landing',
      landedSha: undefined,
      reason: `re-landing alone after ${detail}`,
    });
  d.s.landQueue = [...merged.map((m) => ({ task: m.task, solo: true })), ...d.s.landQueue];
  return undefined;
};

const onRecovery: Handler<'recovery.proposed'> = (d, e) => {
  const i = currentAttempt(d, e.taskId, e.attempt, 'failed');
  if (typeof i === 'string') return i;
  applyRecovery(d, i, e.action, e.rootCause);
  return undefined;
};

function applyRecovery(d: Draft, i: number, action: RecoveryAction, rootCause: string): void {
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
  s.tasks = [
    ...s.tasks,
    ...action.tasks.map((): TaskRun => ({
      status: 'approved',
      attempt: 0,
      extraAttempts: 0,
      reservedMicros: 0,
      spentMicros: 0,
    })),
  ];
  s.counts = { ...s.counts, approved: s.counts.approved + action.tasks.length };
  const done = (k: number) => s.tasks[k]!.status === 'done' || s.tasks[k]!.status === 'skipped';
  const dag = d.index.dag;
  const unmet = d.unmet();
  unmet[i] = unmet[i]! + newIds.length;
  for (let k = first; k < s.tasks.length; k++)
    unmet[k] = dag.deps[k]!.filter((j) => !done(j)).length;
  for (let k = first; k < s.tasks.length; k++) {
    const held = dag.deps[k]!.find((j) => isDead(s.tasks[j]!.status));
    if (held === undefined) makeRunnable(d, k, 'queued');
    else d.setTask(k, { status: 'blocked', reason: `waits for ${d.taskId(held)}` });
  }
  makeRunnable(
    d,
    i,
    'retrying',
    `${rootCause}\n\n${action.guidance ?? `Tasks ${newIds.join(', ')} were added to prepare this one.`}`,
  );
  // A new task held by a dead dependency holds the failed task too.
  for (let k = first; k < s.tasks.length; k++)
    if (s.tasks[k]!.status === 'blocked') blockDependents(d, k);
  // The new tasks change critical-path ranks: re-rank what is ready.
  d.resortReady();
  d.record(id, 'plan', `+${newIds.join(',')}`, rootCause);
}

const onRetry: Handler<'task.retry'> = (d, e) => {
  if (!ACTIVE.has(d.s.status) && d.s.status !== 'partial')
    return `tasks can be retried while the goal runs, not while it is ${d.s.status}`;
  const i = d.indexOf(e.taskId);
  if (i === undefined) return `${e.taskId} is not in the plan`;
  const t = d.task(i);
  if (t.status !== 'needs-human' && t.status !== 'failed' && t.status !== 'cancelled')
    return `${e.taskId} is ${t.status}; only failed tasks or tasks that need a human can be retried`;
  if (d.s.status === 'partial') d.setStatus('running');
  d.setTask(i, {
    extraAttempts: Math.max(t.extraAttempts, t.attempt + 1 - d.s.settings.maxAttempts),
  });
  makeRunnable(d, i, 'retrying', `Retry requested by ${e.actor ?? 'a maintainer'}.`);
  unblockDependents(d, i);
  return undefined;
};

const SKIPPABLE = new Set([
  'queued',
  'retrying',
  'blocked',
  'needs-human',
  'failed',
  'running',
  'cancelled',
]);

const onSkip: Handler<'task.skip'> = (d, e) => {
  if (!ACTIVE.has(d.s.status) && d.s.status !== 'partial')
    return `tasks can be skipped while the goal runs, not while it is ${d.s.status}`;
  const i = d.indexOf(e.taskId);
  if (i === undefined) return `${e.taskId} is not in the plan`;
  const t = d.task(i);
  if (!SKIPPABLE.has(t.status)) return `${e.taskId} is ${t.status} and cannot be skipped`;
  if (d.s.status === 'partial') d.setStatus('running');
  cancelTask(d, i, 'skipped', `skipped by ${e.actor ?? 'a maintainer'}`);
  satisfy(d, i);
  unblockDependents(d, i);
  return undefined;
};

const onPause: Handler<'pause'> = (d) => {
  if (d.s.status === 'paused' && d.s.pausedFor === 'user') return 'the goal is already paused';
  if (!ACTIVE.has(d.s.status)) return `only a running goal can be paused (it is ${d.s.status})`;
  d.setStatus(
    'paused',
    'user',
    `Paused by ${d.event.actor ?? 'a maintainer'}: \`/gantry resume\` to go on.`,
  );
  return undefined;
};

const onResume: Handler<'resume'> = (d) => {
  if (d.s.status !== 'paused') return `only a paused goal can resume (it is ${d.s.status})`;
  d.setStatus('running');
  return undefined;
};

const onCancel: Handler<'cancel'> = (d, e) => {
  if (!OPEN.has(d.s.status)) return `the goal is already ${d.s.status}`;
  d.s.tasks.forEach((t, i) => {
    if (!['done', 'skipped', 'excluded', 'cancelled'].includes(t.status))
      cancelTask(d, i, 'cancelled', 'goal cancelled');
  });
  d.s.landing = undefined;
  d.s.held = [];
  d.s.landQueue = [];
  d.s.finishedAt = e.at;
  d.setStatus('cancelled', undefined, e.reason ?? `Cancelled by ${e.actor ?? 'a maintainer'}.`);
  return undefined;
};

const onBudget: Handler<'budget.changed'> = (d, e) => {
  if (!OPEN.has(d.s.status)) return `the goal is ${d.s.status}`;
  const capMicros = toMicros(e.goalUsd);
  if (capMicros === d.s.budget.capMicros) return 'the budget is unchanged';
  d.s.settings = { ...d.s.settings, budget: { ...d.s.settings.budget, goalUsd: e.goalUsd } };
  d.s.budget = { ...d.s.budget, capMicros };
  if (d.s.status === 'paused' && d.s.pausedFor === 'budget') d.setStatus('running');
  d.changed = true;
  return undefined;
};

const onBreaker: Handler<'breaker.changed'> = (d, e) => {
  if (d.s.breaker === e.gate) return `the breaker is already ${e.gate}`;
  d.s.breaker = e.gate;
  if (e.gate !== 'open' && d.s.status === 'paused' && d.s.pausedFor === 'breaker')
    d.setStatus('running');
  d.changed = true;
  return undefined;
};

const onPrOpened: Handler<'pr.opened'> = (d, e) => {
  if (d.s.pr.number === e.number) return `pull request #${e.number} is already recorded`;
  d.s.pr = { ...d.s.pr, requested: true, number: e.number };
  d.changed = true;
  return undefined;
};

const onCharged: Handler<'llm.charged'> = (d, e) => {
  const micros = toMicros(e.costUsd);
  if (!(micros > 0)) return `nothing to charge for ${e.operation}`;
  // Spent is spent, even past the cap: later reservations then fail and the goal pauses.
  d.s.budget = { ...d.s.budget, spentMicros: d.s.budget.spentMicros + micros };
  d.s.plannerMicros = (d.s.plannerMicros ?? 0) + micros;
  d.changed = true;
  return undefined;
};

const onTick: Handler<'tick'> = (d, e) => {
  const L = d.s.landing;
  if (!L?.validating || L.since === undefined) return 'nothing is waiting on time';
  const { policy, timeoutMs } = d.s.settings.ci;
  if (e.at - L.since < timeoutMs) return 'CI has time left';
  const minutes = Math.round(timeoutMs / 60_000);
  if (policy === 'required') {
    if (L.ciOverdue) return 'still waiting for CI (already reported)';
    d.s.landing = { ...L, ciOverdue: true };
    d.setStatus(
      d.s.status,
      d.s.pausedFor,
      `No CI result for ${L.validating.slice(0, 7)} after ${minutes} min. CI is required (ci.policy): Gantry waits. Check that a workflow runs on pushes to ${d.s.branch}.`,
    );
    return undefined;
  }
  // Optional CI: the tasks' own criteria (checked by the action) decide.
  endLanding(d);
  d.s.lastGreen = L.validating;
  for (const m of L.members)
    if (m.sha && d.task(m.task).status === 'validating') markDone(d, m.task, m.sha);
  d.setStatus(
    d.s.status,
    d.s.pausedFor,
    `No CI within ${minutes} min on ${L.validating.slice(0, 7)}; CI is optional (ci.policy), so the tasks' own criteria decided.`,
  );
  return undefined;
};

function finish(d: Draft): StepResult {
  const s = d.s;
  const labels = labelsFor(s);
  if (labels.join() !== s.labels.join()) {
    s.labels = labels;
    d.emit({ type: 'set-labels', key: `labels:${d.gid}:r${s.revision + 1}`, labels });
  }
  s.revision += 1;
  if (s.plan)
    d.emit({
      type: 'update-plan-comment',
      key: `comment:${d.gid}:r${s.revision}`,
      revision: s.revision,
    });
  return { state: s, effects: d.effects, audit: d.audit };
}
