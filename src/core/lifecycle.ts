import { releaseDependents } from './dag.js';
import { clip, LIMITS, type Draft } from './draft.js';
import type { FailureInfo } from './effects.js';
import { maxAttemptsOf, type ApprovalPolicy, type TaskStatus } from './goal.js';
import { release } from './budget.js';
import { approvedAsDefined, taskDefinitionHash } from './task-definition.js';

/** A task in one of these states holds back its dependents for good (until a human acts). */
const DEAD: ReadonlySet<TaskStatus> = new Set(['needs-human', 'excluded', 'cancelled', 'blocked']);
// A task awaiting approval stays so (and can be ticked) whatever its dependencies do.
const BLOCKABLE: ReadonlySet<TaskStatus> = new Set(['queued', 'retrying', 'approved']);

export function isDead(status: TaskStatus): boolean {
  return DEAD.has(status);
}

/**
 * Task `i`'s current definition is approved, by a person or a configured policy: the
 * approval holds for exactly this definition (`approvedHash`).
 */
export function recordApproval(
  d: Draft,
  i: number,
  by: { person: string } | { policy: ApprovalPolicy },
): void {
  d.setTask(i, {
    approvedHash: taskDefinitionHash(d.plan.tasks[i]!),
    approvedBy: 'person' in by ? by.person : undefined,
    approvedVia: 'policy' in by ? by.policy : undefined,
    approvedAt: d.event.at,
  });
}

/**
 * Task `i` waits for a person to tick it: never approved, or its definition changed since. Its
 * guidance stays for the attempt that follows the approval.
 */
export function awaitApproval(d: Draft, i: number, reason: string): void {
  d.removeReady(i);
  d.setTask(i, {
    status: 'proposed',
    reason,
    failure: undefined,
    asking: undefined,
    approvedHash: undefined,
    approvedBy: undefined,
    approvedVia: undefined,
    approvedAt: undefined,
  });
}

/** A task approved while the goal runs: runnable, unless a dead dependency holds it. */
export function admitApproved(d: Draft, i: number): void {
  const held = d.index.dag.deps[i]!.find((j) => isDead(d.task(j).status));
  if (held === undefined) {
    makeRunnable(d, i, d.task(i).attempt > 0 ? 'retrying' : 'queued');
    return;
  }
  d.setTask(i, {
    status: 'blocked',
    reason: `waits for ${d.taskId(held)} (${d.task(held).status})`,
  });
  blockDependents(d, i);
}

/**
 * Queue a task (again); it becomes ready once nothing is unmet. Only a task whose definition is
 * the approved one is queued: any other waits for approval instead, so nothing unapproved runs.
 */
export function makeRunnable(
  d: Draft,
  i: number,
  status: 'queued' | 'retrying',
  guidance?: string,
): void {
  if (!approvedAsDefined(d.plan.tasks[i]!, d.task(i))) {
    if (guidance !== undefined) d.setTask(i, { guidance });
    awaitApproval(d, i, 'awaiting approval: its definition is not the one approved');
    return;
  }
  const told = status === 'retrying' ? withLastFailure(guidance, d.task(i).failure) : guidance;
  d.setTask(i, {
    status,
    reason: undefined,
    failure: undefined,
    asking: undefined,
    ...(told === undefined ? {} : { guidance: told }),
  });
  if (d.s.unmet[i] === 0) d.addReady(i);
}

/**
 * A retry's guidance with what failed last (its failed criteria and checks, first lines): the
 * next attempt's agent is told, whoever asked for the retry (recovery or a person). The guidance
 * comes first and is bounded with the rest (`LIMITS.guidance`).
 */
function withLastFailure(guidance: string | undefined, f: FailureInfo | undefined) {
  const lines = [
    ...(f?.failedCriteria ?? []).slice(0, 3).map((c) => `- ${c.split('\n')[0]}`),
    ...(f?.failedChecks ?? []).slice(0, 3).map((c) => `- CI check failed: ${c.split('\n')[0]}`),
  ].map((l) => (l.length > 140 ? `${l.slice(0, 139)}…` : l));
  if (!lines.length) return guidance;
  const said = guidance ? `${guidance.slice(0, 500)}\n\n` : '';
  return `${said}What failed in the last attempt:\n${lines.join('\n')}`;
}

/** The task's work is in (done or skipped): dependents with nothing else unmet become ready. */
export function satisfy(d: Draft, i: number): void {
  for (const j of releaseDependents(d.index.dag, d.unmet(), i)) {
    const st = d.task(j).status;
    if (st === 'queued' || st === 'retrying') d.addReady(j);
  }
}

export function markDone(d: Draft, i: number, landedSha?: string): void {
  const t = d.task(i);
  // What only an attempt in flight needs (its base, its published commit) goes: the signed state
  // keeps one sha per finished task, so large plans fit their comment.
  d.setTask(i, {
    status: 'done',
    reason: undefined,
    baseSha: undefined,
    publishedSha: undefined,
    ...(landedSha ? { landedSha } : {}),
  });
  reportOutcome(d, d.taskId(i), t.attempt, true);
  satisfy(d, i);
}

/**
 * One attempt failed. Conflicts retry straight away on the new head; other failures ask the
 * recovery planner, unless the task has used its attempts, in which case a human is asked.
 */
export function failAttempt(d: Draft, i: number, failure: FailureInfo): void {
  const t = d.task(i);
  const id = d.taskId(i);
  if (failure.kind !== 'conflict') reportOutcome(d, id, t.attempt, false);
  logFailure(d, id, t.attempt, failure.detail);
  if (t.attempt >= maxAttemptsOf(d.s, t)) {
    needsHuman(
      d,
      i,
      `failed ${t.attempt} of ${maxAttemptsOf(d.s, t)} attempts; last: ${failure.detail}`,
      `${id} failed ${t.attempt} times (last: ${failure.detail}). Fix it by hand on the goal branch and \`/gantry skip ${id}\`, or \`/gantry retry ${id}\` for one more attempt.`,
      failure,
    );
    return;
  }
  const last = d.s.queue.at(-1);
  if (failure.kind === 'conflict' && last) {
    // Retry from what lands of the candidates in the queue, once CI has judged them.
    d.setTask(i, {
      status: 'retrying',
      reason: undefined,
      guidance: conflictGuidance(failure.detail),
    });
    d.s.held = [...d.s.held, i];
    d.s.heldAfter = Math.max(d.s.heldAfter ?? 0, last.n);
    return;
  }
  if (failure.kind === 'conflict') {
    makeRunnable(d, i, 'retrying', conflictGuidance(failure.detail));
    return;
  }
  d.setTask(
    i,
    {
      status: 'failed',
      reason: failure.detail,
      // Kept until the recovery planner answers: a recovery lost in a crash is asked again.
      failure: keptFailure(failure),
    },
    failure.detail,
  );
}

/** A failure as the state keeps it (it lives in a comment): every part bounded. */
function keptFailure(failure: FailureInfo): FailureInfo {
  return {
    ...failure,
    detail: clip(failure.detail, LIMITS.reason),
    ...(failure.failedChecks ? { failedChecks: failure.failedChecks.slice(0, 20) } : {}),
    ...(failure.failedCriteria ? { failedCriteria: clipAll(failure.failedCriteria) } : {}),
    ...(failure.refused ? { refused: clipAll(failure.refused) } : {}),
  };
}

/** Failed criteria and refused paths kept for recovery: the state lives in a comment. */
const clipAll = (items: readonly string[]) =>
  items.slice(0, LIMITS.failureItems).map((x) => clip(x, LIMITS.failureItem));

/** The pull request's account of failed and refused attempts: the latest ones, bounded. */
function logFailure(d: Draft, taskId: string, attempt: number, detail: string): void {
  const entry = { taskId, attempt, reason: clip(detail, LIMITS.failureItem) };
  d.s.failures = [...(d.s.failures ?? []), entry].slice(-LIMITS.failureLog);
}

/** The repository's circuit breaker is owed this outcome (answered by outcome.reported). */
function reportOutcome(d: Draft, taskId: string, attempt: number, ok: boolean): void {
  d.s.outcomes = [...(d.s.outcomes ?? []), { taskId, attempt, ok }];
}

/**
 * Ask a person: the question, and the last failure (what failed, its checks, criteria or refusals)
 * for the comment that asks, which says it with the attempts and their reasons.
 */
export function needsHuman(
  d: Draft,
  i: number,
  reason: string,
  question: string,
  last?: FailureInfo,
): void {
  const t = d.task(i);
  const mention = t.approvedBy ?? d.s.startedBy;
  const failure = last ?? t.failure;
  d.setTask(
    i,
    {
      status: 'needs-human',
      reason,
      failure: undefined,
      asking: {
        question: clip(question, LIMITS.guidance),
        ...(mention ? { mention } : {}),
        ...(failure ? { failure: keptFailure(failure) } : {}),
      },
    },
    reason,
  );
  blockDependents(d, i);
}

/** Every waiting transitive dependent of a dead task is blocked; independent branches go on. */
export function blockDependents(d: Draft, i: number): void {
  const by = d.taskId(i);
  for (const j of d.index.dag.transitiveDependents(i)) {
    if (!BLOCKABLE.has(d.task(j).status)) continue;
    d.removeReady(j);
    d.setTask(j, { status: 'blocked', reason: `waits for ${by} (${d.task(i).status})` });
  }
}

/** After a dead task comes back (retry, skip), unblock dependents that nothing else holds. */
export function unblockDependents(d: Draft, i: number): void {
  const { dag } = d.index;
  const pos = new Map(dag.topoOrder().map((n, k) => [n, k]));
  const deps = dag.transitiveDependents(i).sort((a, b) => pos.get(a)! - pos.get(b)!);
  for (const j of deps) {
    if (d.task(j).status !== 'blocked') continue;
    const holder = dag.deps[j]!.find((k) => isDead(d.task(k).status));
    if (holder !== undefined) {
      d.setTask(j, { reason: `waits for ${d.taskId(holder)} (${d.task(holder).status})` });
      continue;
    }
    makeRunnable(d, j, d.task(j).attempt > 0 ? 'retrying' : 'queued');
  }
}

/** Stop a task for good: cancel its run if one is going and give its reservation back. */
export function cancelTask(d: Draft, i: number, to: 'cancelled' | 'skipped', reason: string): void {
  const t = d.task(i);
  // The run of a running task is cancelled once it is known (an owed cancel-run).
  // A running task keeps its reservation until its run reports (cancelled runs cost money too).
  const keep = t.status === 'running';
  if (!keep && t.reservedMicros > 0) d.s.budget = release(d.s.budget, t.reservedMicros);
  d.removeReady(i);
  d.setTask(
    i,
    {
      status: to,
      reason,
      failure: undefined,
      asking: undefined,
      ...(keep ? {} : { reservedMicros: 0 }),
    },
    reason,
  );
}

function conflictGuidance(paths: string): string {
  return `The previous attempt conflicted with the goal branch in: ${paths}. Start from the new goal head and keep those files consistent with it.`;
}
