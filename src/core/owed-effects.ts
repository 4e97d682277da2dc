import { outstandingOf } from './draft.js';
import { effectKey } from './effect-key.js';
import type { Effect } from './effects.js';
import { isRunning, type GoalState, type TaskRun } from './goal.js';
import { fromMicros } from './money.js';
import { CandidateRef, TaskBranch } from './names.js';
import { queueDepthOf, refHeadBefore } from './candidates.js';
import { approvedAsDefined } from './task-definition.js';

/** A run that has not shown up this long after a dispatch GitHub accepted is dispatched again. */
export const LOST_DISPATCH_MS = 10 * 60_000;

type Of<T extends Effect['type']> = Extract<Effect, { type: T }>;

/**
 * Everything the goal owes the outside world, derived from its state alone: the one list the App's
 * executor and the simulator carry out, in this order (the comment, which holds the state, last).
 * Carrying out an effect is answered by an event that makes the state stop owing it, so an effect
 * lost in a crash is simply owed again. Costs O(tasks with outside work), not O(tasks).
 */
export function owedEffects(s: GoalState, now: number): Effect[] {
  const out: Effect[] = [];
  const started = s.startedAt !== undefined && s.plan !== undefined;
  if (started && isRunning(s.status) && !s.branchCreated)
    out.push({
      type: 'create-goal-branch',
      key: effectKey('branch', s.issue),
      branch: s.branch,
      sha: s.lastGreen ?? s.goalHead ?? '',
    });
  const base = s.baseVerdict;
  if (started && isRunning(s.status) && base?.verdict === 'pending')
    out.push({
      type: 'judge-base',
      key: effectKey('judge-base', s.issue, { sha: base.sha }),
      sha: base.sha,
    });
  if (s.resetPending)
    out.push({
      type: 'reset-goal-ref',
      key: effectKey('reset', s.issue, { sha: s.resetPending.fromSha }),
      branch: s.branch,
      ...s.resetPending,
    });
  // The goal branch follows the last green sha, only ever forward (a red base's reset first).
  if (
    s.branchCreated &&
    !s.resetPending &&
    s.lastGreen &&
    s.goalHead !== s.lastGreen &&
    advanceDue(s)
  ) {
    // The refs that go stale once the goal branch holds the last green sha go with it, in the
    // same (atomic) request: no ref is deleted before the goal branch gets there, and none costs
    // a request of its own.
    const dropRefs = staleRefsOnceAdvanced(s);
    out.push({
      type: 'advance-goal-ref',
      key: effectKey('advance', s.issue, { sha: s.lastGreen }),
      branch: s.branch,
      toSha: s.lastGreen,
      fromSha: s.goalHead ?? s.lastGreen,
      ...(dropRefs ? { dropRefs } : {}),
    });
  }
  const land = awaitedLand(s);
  if (land) out.push(land);
  for (const c of s.queue)
    if (c.sha && !c.verdict)
      out.push({ type: 'judge-ci', key: effectKey('judge', s.issue, { sha: c.sha }), sha: c.sha });
  const stale = staleRefs(s);
  if (stale) out.push(stale);
  for (const o of s.outcomes ?? [])
    out.push({
      type: 'report-outcome',
      key: effectKey('outcome', s.issue, { task: o.taskId, attempt: o.attempt }),
      ...o,
    });
  // Outcomes before task work: the breaker they feed decides whether retries may start.
  if (started) for (const i of outstandingOf(s)) taskWork(s, i, now, out);
  prWork(s, out);
  out.push({
    type: 'set-labels',
    key: effectKey('labels', s.issue, { revision: s.revision }),
    labels: s.labels,
  });
  if (s.plan)
    out.push({
      type: 'update-plan-comment',
      key: effectKey('comment', s.issue, { revision: s.revision }),
      revision: s.revision,
    });
  return out;
}

/** What one task with outside work owes: its run dispatched, found, collected or cancelled, its
 * failure handed to recovery, its question posted. */
function taskWork(s: GoalState, i: number, now: number, out: Effect[]): void {
  const t = s.tasks.at(i)!;
  const taskId = s.plan!.tasks[i]!.id;
  const parts = { task: taskId, attempt: t.attempt };
  const stopped = t.status !== 'running' && t.reservedMicros > 0;
  if (t.status === 'running' || stopped) {
    if (t.runId !== undefined) {
      out.push({
        type: 'collect-run',
        key: effectKey('collect', s.issue, parts),
        taskId,
        attempt: t.attempt,
        runId: t.runId,
      });
      if (stopped && !t.cancelSent)
        out.push({
          type: 'cancel-run',
          key: effectKey('cancel', s.issue, parts),
          taskId,
          attempt: t.attempt,
          runId: t.runId,
        });
    } else if (isRunning(s.status) || stopped) {
      // The last guard where dispatches are derived: only the definition a person (or a
      // configured policy) approved is ever sent; any other is only looked for.
      const approved = approvedAsDefined(s.plan!.tasks[i]!, t);
      out.push(dispatch(s, t, taskId, now, stopped, approved));
    }
  }
  if (t.status === 'failed')
    out.push({
      type: 'ask-recovery',
      key: effectKey('recover', s.issue, parts),
      taskId,
      attempt: t.attempt,
      // A state written before failures were recorded has only the reason.
      failure: t.failure ?? { kind: 'agent', detail: t.reason ?? 'the attempt failed' },
    });
  if (t.asking && t.status === 'needs-human')
    out.push({
      type: 'escalate',
      key: effectKey('escalate', s.issue, parts),
      taskId,
      attempt: t.attempt,
      question: t.asking.question,
      ...(t.asking.mention ? { mention: t.asking.mention } : {}),
      ...(t.asking.failure ? { failure: t.asking.failure } : {}),
    });
}

/**
 * The run an attempt needs. It is sent unless a dispatch GitHub accepted may still show up; a
 * stopped task's run (or one not approved as defined) is only looked for, never sent.
 */
function dispatch(
  s: GoalState,
  t: TaskRun,
  taskId: string,
  now: number,
  stopped: boolean,
  approved: boolean,
): Of<'dispatch-task'> {
  const lost = t.sentAt === undefined || now - t.sentAt >= LOST_DISPATCH_MS;
  // A stopped attempt whose run never showed up: nothing can be cancelled or charged any more.
  const overdue = now - (t.sentAt ?? t.dispatchedAt ?? 0) >= LOST_DISPATCH_MS;
  return {
    type: 'dispatch-task',
    key: effectKey('dispatch', s.issue, { task: taskId, attempt: t.attempt }),
    taskId,
    attempt: t.attempt,
    baseSha: t.baseSha ?? s.lastGreen ?? '',
    budgetUsd: fromMicros(t.reservedMicros),
    ...(t.guidance ? { guidance: t.guidance } : {}),
    send: lost && !stopped && approved,
    ...(stopped && overdue ? { abandon: true } : {}),
  };
}

function prWork(s: GoalState, out: Effect[]): void {
  const { pr } = s;
  if (!pr.requested) return;
  if (pr.number === undefined) {
    out.push({
      type: 'open-draft-pr',
      key: effectKey('pr', s.issue),
      branch: s.branch,
      title: s.title,
      issue: s.issue,
    });
    return;
  }
  // `readyMarked` is false from the moment the PR is due to be ready; a state written before
  // it was recorded has none, and its PR was made ready in the same pass.
  if (pr.ready && pr.readyMarked === false)
    out.push({ type: 'mark-pr-ready', key: effectKey('pr-ready', s.issue), number: pr.number });
  else if (s.status === 'partial' && pr.accountAt !== s.finishedAt) {
    const finishedAt = s.finishedAt ?? 0;
    out.push({
      type: 'update-pr-body',
      key: effectKey('pr-body', s.issue, { tag: `partial-${finishedAt}` }),
      number: pr.number,
      finishedAt,
    });
  }
}

/**
 * The merge the candidate being built waits for, as its land effect. Derived from the state, so a
 * shell that lost the effect (a crash before it merged) carries it out again.
 */
export function awaitedLand(s: GoalState): Of<'land-task'> | undefined {
  const c = s.queue.at(-1);
  const m = c && c.sha === undefined ? c.members[c.next] : undefined;
  // Nothing lands before the goal branch is on its new base.
  if (!c || !m || !s.plan || s.resetPending) return undefined;
  const id = s.plan.tasks[m.task]!.id;
  const t = s.tasks.at(m.task)!;
  const tip = refHeadBefore(c, c.next);
  return {
    type: 'land-task',
    key: effectKey('land', s.issue, { task: id, attempt: m.attempt, n: m.n }),
    taskId: id,
    attempt: m.attempt,
    branch: new TaskBranch(s.issue, id, m.attempt).toString(),
    into: new CandidateRef(s.issue, c.n).toString(),
    // Nothing merged into the candidate yet: its ref may not exist, and is made at the tip.
    ...(tip === c.on ? { onto: c.on } : {}),
    tip,
    n: m.n,
    ...(t.publishedSha ? { sha: t.publishedSha } : {}),
    ...(t.baseSha ? { baseSha: t.baseSha } : {}),
  };
}

/**
 * The goal branch follows the last green sha in steps: at once while there is no pull request yet
 * (its first commit opens one), when the queue is idle, when the goal is not running (paused for
 * a person to look, done, partial), when a candidate in the queue is overdue for CI, and otherwise
 * once a queue's depth of candidates landed since it last moved. Fewer pushes of the goal branch
 * (each a request, and a run of the repository's push workflows on a sha CI already judged),
 * while the pull request's head lags a few landings at most. Tasks start from the last green
 * sha, not from the goal branch: no work waits for it.
 */
function advanceDue(s: GoalState): boolean {
  return (
    s.pr.number === undefined ||
    s.queue.length === 0 ||
    s.status !== 'running' ||
    (s.greenSinceAdvance ?? 0) >= queueDepthOf(s) ||
    // A candidate CI never judged holds the queue: what landed before it is not kept off the PR.
    s.queue.some((c) => c.ciOverdue)
  );
}

/** Candidate refs deleted at most this many per effect. */
const REFS_PER_EFFECT = 50;

/**
 * Refs of candidates that landed or were dropped, below the oldest one still in the queue:
 * deleted when the queue is idle or the goal is over, or once a queue's depth of them piled up
 * (each batch a request, so not after every landing). While an advance is owed they go with it
 * (`staleRefsOnceAdvanced`); on their own only once the goal branch is at the last green sha (an
 * advance that went without them: GitHub refused the batch).
 */
function staleRefs(s: GoalState): Of<'delete-candidate-refs'> | undefined {
  // The last green sha may be on no ref but its candidate's until the goal branch gets there (an
  // advance owed, or refused because someone pushed): no ref goes before it on its own.
  if (s.branchCreated && s.lastGreen !== undefined && s.goalHead !== s.lastGreen) return undefined;
  const stale = staleRefsOnceAdvanced(s);
  if (!stale) return undefined;
  const key = effectKey('drop-refs', s.issue, { n: stale.upTo });
  return { type: 'delete-candidate-refs', key, ...stale };
}

/** The refs `staleRefs` would delete with the goal branch at the last green sha. */
function staleRefsOnceAdvanced(s: GoalState): { refs: string[]; upTo: number } | undefined {
  const from = (s.refsDeleted ?? 0) + 1;
  const below = (s.queue[0]?.n ?? (s.candidates ?? 0) + 1) - 1;
  const upTo = Math.min(below, from + REFS_PER_EFFECT - 1);
  if (upTo < from) return undefined;
  if (s.queue.length > 0 && isRunning(s.status) && upTo - from + 1 < queueDepthOf(s))
    return undefined;
  const refs: string[] = [];
  for (let n = from; n <= upTo; n++) refs.push(new CandidateRef(s.issue, n).toString());
  return { refs, upTo };
}
