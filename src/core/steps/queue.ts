import { clip, LIMITS, type Draft } from '../draft.js';
import { queueDepthOf, refHeadBefore, tipOf } from '../candidates.js';
import type { Candidate, GoalState } from '../goal.js';
import { failAttempt, markDone } from '../lifecycle.js';
import { baseHoldsLanding, baseTimedOut, judgeKnownRed, narrowKnownRed } from './base.js';
import { ignore, type Handler } from './handler.js';
import { listed } from './runs.js';

/**
 * The speculative validation queue. A finished task is merged onto the tip of the queue (the
 * goal's last green sha, or the last candidate) as a candidate on a ref of its own; CI judges
 * every candidate at once, up to `queueDepth`. The goal branch moves forward (by fast-forward,
 * an owed advance-goal-ref) only to a candidate that is green with every candidate before it. A
 * red candidate is dropped: its task fails with the failed checks (a red batch lands its members
 * again, one per candidate), and the candidates stacked on it are rebuilt without it, their tasks
 * first in line. Verdicts on dropped candidates find no candidate and are ignored.
 */

/** Start the next candidate when there is room, a tip to stack on and work waiting. */
export function fillQueue(d: Draft): void {
  const s = d.s;
  if (s.landQueue.length === 0 || s.queue.length >= queueDepthOf(s)) return;
  if (baseHoldsLanding(s) || s.resetPending) return;
  // One candidate merges at a time: the next one stacks on its result.
  const on = tipOf(s);
  if (on === undefined) return;
  criticalFirst(d);
  const q = s.landQueue;
  let size = 1;
  if (!q[0]!.solo)
    while (size < s.settings.landingBatch && size < q.length && !q[size]!.solo) size++;
  s.landQueue = q.slice(size);
  const n = (s.candidates ?? 0) + 1;
  s.candidates = n;
  const members = q
    .slice(0, size)
    .map((b) => ({ task: b.task, attempt: d.task(b.task).attempt, n: 0 }));
  s.queue = [...s.queue, { n, on, members, next: 0 }];
  awaitMerge(d);
}

/**
 * Order the tasks at the head of the land queue (the run of entries neither solo nor pinned) by
 * the longest path of work they release: their critical-path rank without their own estimate,
 * already spent. Equal keys keep queue order (the order the runs finished). Solo entries (a red
 * batch landing again one at a time) and pinned ones (rebuilt after a red candidate) keep their
 * place. Ranks are computed once per plan; this costs O(q log q) per candidate.
 */
function criticalFirst(d: Draft): void {
  const q = d.s.landQueue;
  let end = 0;
  while (end < q.length && !q[end]!.solo && !q[end]!.pinned) end++;
  if (end < 2) return;
  const { rank, dag } = d.index;
  const rest = (i: number) => rank[i]! - dag.estimates[i]!;
  const head = q
    .slice(0, end)
    .map((e, at) => ({ e, at, key: rest(e.task) }))
    .sort((a, b) => b.key - a.key || a.at - b.at);
  if (head.every((h, at) => h.at === at)) return;
  d.s.landQueue = [...head.map((h) => h.e), ...q.slice(end)];
}

function setCandidate(d: Draft, k: number, c: Candidate): void {
  const q = d.s.queue.slice();
  q[k] = c;
  d.s.queue = q;
}

/**
 * The next member's merge is awaited, under a new landing number: a member merged again (in a
 * rebuilt candidate) is a new operation (the land-task effect `owedEffects` derives from it).
 */
function awaitMerge(d: Draft): void {
  const k = d.s.queue.length - 1;
  const c = d.s.queue[k]!;
  const n = (d.s.landings += 1);
  const members = c.members.slice();
  members[c.next] = { ...members[c.next]!, n };
  setCandidate(d, k, { ...c, members });
}

/** The awaited member got its answer: merge the next one, or hand the candidate to CI. */
function continueCandidate(d: Draft, k: number): void {
  const c = { ...d.s.queue[k]!, next: d.s.queue[k]!.next + 1 };
  if (c.next < c.members.length) {
    setCandidate(d, k, c);
    awaitMerge(d);
    return;
  }
  const sha = refHeadBefore(c, c.members.length);
  if (sha === c.on) {
    // Nothing merged: no candidate (its ref, if made, is deleted with the others).
    d.s.queue = d.s.queue.filter((_, j) => j !== k);
    releaseHeld(d);
    return;
  }
  setCandidate(d, k, { ...c, sha, since: d.event.at });
}

export const onLanding: Handler<'landing.result'> = (d, e) => {
  const k = d.s.queue.length - 1;
  const c = d.s.queue[k];
  const m = c?.members[c.next];
  if (
    !c ||
    !m ||
    c.sha !== undefined ||
    d.taskId(m.task) !== e.taskId ||
    m.attempt !== e.attempt ||
    m.n !== e.landing
  )
    return ignore(
      'superseded',
      `${e.taskId} attempt ${e.attempt} (landing ${e.landing}) is not the merge in progress`,
    );
  const i = m.task;
  const r = e.result;
  if (r.kind === 'merged') {
    const members = c.members.slice();
    members[c.next] = { ...m, sha: r.sha };
    setCandidate(d, k, { ...c, members });
    d.setTask(i, { status: 'validating', landedSha: r.sha });
  } else if (r.kind === 'nothing-to-merge') {
    if (r.criteriaPassed) markDone(d, i);
    else
      failAttempt(d, i, {
        kind: 'no-change',
        detail: 'the task changed nothing and its criteria did not pass',
      });
  } else if (r.kind === 'refused') {
    failAttempt(d, i, {
      kind: 'agent',
      detail: `not landed: ${listed(r.problems)}`,
      refused: r.problems,
    });
  } else {
    failAttempt(d, i, { kind: 'conflict', detail: r.paths.join(', ') || 'unknown paths' });
  }
  continueCandidate(d, k);
  return undefined;
};

export const onVerdict: Handler<'ci.verdict'> = (d, verdict) => {
  const k = d.s.queue.findIndex((c) => c.sha === verdict.sha);
  if (k < 0)
    return ignore(
      'superseded',
      `no candidate in the queue is ${verdict.sha.slice(0, 7)} (dropped, or landed)`,
    );
  const c = d.s.queue[k]!;
  if (c.verdict) return ignore('duplicate', `${verdict.sha.slice(0, 7)} is already judged`);
  // On a base that was red when the goal chose to go on, only new failures count.
  const judged = judgeKnownRed(d.s, verdict);
  if (!judged)
    return ignore(
      'not-due',
      `only checks red on the base failed on ${verdict.sha.slice(0, 7)} so far; the others are still running`,
    );
  const e = judged.event;
  setCandidate(d, k, {
    ...c,
    verdict:
      e.verdict === 'green'
        ? { kind: 'green', ...(judged.still ? { knownRed: judged.still } : {}) }
        : {
            kind: 'red',
            failedChecks: e.failedChecks
              .slice(0, LIMITS.failureItems)
              .map((x) => clip(x, LIMITS.failureItem)),
            ...(e.summary ? { summary: clip(e.summary, LIMITS.failureItem) } : {}),
          },
  });
  settleQueue(d);
  return undefined;
};

/**
 * Act on the verdicts at the head of the queue, in order: green ones land (the goal's last green
 * sha moves there, their tasks are done), the first red one is dropped with everything after it.
 */
function settleQueue(d: Draft): void {
  for (let c = d.s.queue[0]; c?.verdict; c = d.s.queue[0]) {
    // A known-red check this candidate was excused for passed on one that landed before it
    // (verdicts come in any order): it broke it again, so it is red after all.
    const regressed = knownRedRegressed(d.s, c.verdict);
    if (c.verdict.kind === 'red' || regressed.length) {
      drop(d, c.verdict.kind === 'red' ? c.verdict : { failedChecks: regressed });
      break;
    }
    d.s.queue = d.s.queue.slice(1);
    d.s.lastGreen = c.sha;
    d.s.greenSinceAdvance = (d.s.greenSinceAdvance ?? 0) + 1;
    if (c.verdict.knownRed) narrowKnownRed(d, c.verdict.knownRed);
    // The first landing asks for the draft pull request (an owed open-draft-pr).
    if (!d.s.pr.requested) d.s.pr = { ...d.s.pr, requested: true };
    for (const m of c.members)
      if (m.sha && isIn(d, m.task, m.attempt, 'validating')) markDone(d, m.task, m.sha);
  }
  releaseHeld(d);
}

/** The checks a green candidate was excused for that are no longer known red. */
function knownRedRegressed(s: GoalState, v: NonNullable<Candidate['verdict']>): string[] {
  if (v.kind !== 'green' || !v.knownRed?.length) return [];
  const known = s.baseVerdict?.knownRed ?? [];
  return v.knownRed.filter((x) => !known.includes(x));
}

const isIn = (d: Draft, i: number, attempt: number, ...statuses: string[]) =>
  d.task(i).attempt === attempt && statuses.includes(d.task(i).status);

/**
 * The red candidate at the head of the queue is dropped, and every candidate stacked on it: its
 * task fails with the failed checks (recovery as for any failure), a red batch's members land
 * again one per candidate to find the culprit, and the tasks of the candidates after it land
 * again, first and in their order, on the new tip.
 */
function drop(d: Draft, red: { failedChecks: string[]; summary?: string | undefined }): void {
  const [c, ...later] = d.s.queue;
  d.s.queue = [];
  const sha = c!.sha!;
  const detail = `CI failed on ${sha.slice(0, 7)}${red.failedChecks.length ? `: ${red.failedChecks.join(', ')}` : ''}${red.summary ? ` (${red.summary})` : ''}`;
  const merged = c!.members.filter((m) => m.sha && isIn(d, m.task, m.attempt, 'validating'));
  const again: GoalState['landQueue'] = [];
  if (merged.length === 1)
    failAttempt(d, merged[0]!.task, {
      kind: 'ci',
      detail,
      sha,
      failedChecks: red.failedChecks,
    });
  else
    for (const m of merged) {
      d.setTask(m.task, {
        status: 'landing',
        landedSha: undefined,
        reason: `landing alone after ${detail}`,
      });
      again.push({ task: m.task, solo: true });
    }
  for (const l of later)
    for (const m of l.members) {
      if (!isIn(d, m.task, m.attempt, 'validating', 'landing')) continue;
      d.setTask(m.task, { status: 'landing', landedSha: undefined });
      again.push({ task: m.task, solo: false, pinned: true });
    }
  d.s.landQueue = [...again, ...d.s.landQueue];
}

/** Conflict retries held for candidates that are all settled now start from what landed. */
function releaseHeld(d: Draft): void {
  const { held, heldAfter } = d.s;
  if (held.length === 0) return;
  if (d.s.queue.some((c) => c.n <= (heldAfter ?? Infinity))) return;
  d.s.held = [];
  d.s.heldAfter = undefined;
  for (const i of held) if (d.task(i).status === 'retrying' && d.s.unmet[i] === 0) d.addReady(i);
}

/** CI's time limit on the base and on each candidate (`ci.policy`). */
export const onTick: Handler<'tick'> = (d, e) => {
  // Candidates wait for the base's verdict, so the two never wait for CI at once.
  if (baseTimedOut(d, e.at) === undefined) return undefined;
  const { policy, timeoutMs } = d.s.settings.ci;
  const minutes = Math.round(timeoutMs / 60_000);
  const due = d.s.queue.flatMap((c, k) =>
    c.sha && !c.verdict && c.since !== undefined && e.at - c.since >= timeoutMs ? [k] : [],
  );
  if (due.length === 0) return ignore('not-due', 'nothing is waiting on time');
  if (policy === 'required') {
    const fresh = due.filter((k) => !d.s.queue[k]!.ciOverdue);
    if (fresh.length === 0) return ignore('duplicate', 'still waiting for CI (already reported)');
    for (const k of fresh) setCandidate(d, k, { ...d.s.queue[k]!, ciOverdue: true });
    const sha = d.s.queue[fresh[0]!]!.sha!.slice(0, 7);
    d.setStatus(
      d.s.status,
      d.s.pausedFor,
      `No CI result for ${sha} after ${minutes} min. CI is required (ci.policy): Gantry waits. Check that a workflow runs on pushes to gantry/${d.s.issue}/queue/* branches.`,
    );
    return undefined;
  }
  // Optional CI: the tasks' own criteria (checked by the action) decide.
  for (const k of due) setCandidate(d, k, { ...d.s.queue[k]!, verdict: { kind: 'green' } });
  const sha = d.s.queue[due[0]!]!.sha!.slice(0, 7);
  settleQueue(d);
  d.setStatus(
    d.s.status,
    d.s.pausedFor,
    `No CI within ${minutes} min on ${sha}; CI is optional (ci.policy), so the tasks' own criteria decided.`,
  );
  return undefined;
};
