import { reserve } from './budget.js';
import { baseHoldsLanding } from './steps/base.js';
import { isRunning } from './goal.js';
import type { Draft } from './draft.js';
import { toMicros } from './money.js';

/**
 * After every accepted event: start the next landing, dispatch what is ready, and decide
 * whether the goal is done or stuck. Landing goes on while paused: finished work is never lost.
 */
export function advance(d: Draft): void {
  if (!isRunning(d.s.status)) return;
  startLanding(d);
  dispatchReady(d);
  settleGoal(d);
}

function dispatchReady(d: Draft): void {
  const s = d.s;
  const held = s.pausedFor === 'user' || s.pausedFor === 'cap' || s.pausedFor === 'base';
  if (s.ready.length === 0 || (s.status === 'paused' && held)) return;
  if (s.breaker === 'open') {
    if (s.status === 'running')
      d.setStatus(
        'paused',
        'breaker',
        'The circuit breaker is open after consecutive task failures: no new tasks start until it cools down.',
      );
    return;
  }
  const limit = s.breaker === 'half-open' ? 1 : s.settings.maxParallel;
  while (s.counts.running < limit && s.ready.length > 0) {
    const i = s.ready[0]!;
    const t = d.task(i);
    const spec = d.plan.tasks[i]!;
    const { tierUsd, taskUsd } = s.settings.budget;
    const micros = toMicros(Math.min(tierUsd[spec.tier], taskUsd));
    const r = reserve(s.budget, micros);
    if (!r.ok) {
      if (s.counts.running === 0 && s.status !== 'paused')
        d.setStatus(
          'paused',
          'budget',
          `Budget: ${spec.id} ${r.reason}. Raise \`budget.goalUsd\` in .github/gantry.yml, then \`/gantry resume\`.`,
        );
      return;
    }
    if (s.status === 'paused') d.setStatus('running');
    s.budget = r.budget;
    d.removeReady(i);
    const attempt = t.attempt + 1;
    d.setTask(i, {
      status: 'running',
      attempt,
      baseSha: s.lastGreen,
      runId: undefined,
      sentAt: undefined,
      cancelSent: undefined,
      dispatchedAt: d.event.at,
      reservedMicros: micros,
      // The guidance stays until the run is known: a dispatch made again after a crash needs it.
    });
  }
}

function startLanding(d: Draft): void {
  const s = d.s;
  if (s.landing || s.landQueue.length === 0 || baseHoldsLanding(s)) return;
  criticalFirst(d);
  const first = s.landQueue[0]!;
  let size = 1;
  if (!first.solo)
    while (size < s.settings.landingBatch && size < s.landQueue.length && !s.landQueue[size]!.solo)
      size++;
  const batch = s.landQueue.slice(0, size);
  s.landQueue = s.landQueue.slice(size);
  s.landing = {
    members: batch.map((b) => ({ task: b.task, attempt: d.task(b.task).attempt, n: 0 })),
    next: 0,
  };
  awaitMerge(d);
}

/**
 * Order the queue's tasks that land together (the run of non-solo entries at its head) by the
 * longest path of work they release: what follows a task once it lands is its dependents' chain,
 * so the key is its critical-path rank without its own estimate, already spent. Equal keys keep
 * queue order (the order the runs finished). Solo entries (a red batch re-landing one at a time)
 * keep their place. Ranks are computed once per plan; this costs O(q log q) per landing.
 */
function criticalFirst(d: Draft): void {
  const q = d.s.landQueue;
  let end = 0;
  while (end < q.length && !q[end]!.solo) end++;
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

/**
 * The next member's merge is awaited, under a new landing number: a re-landing after a reset
 * is a new operation (the land-task effect `owedEffects` derives from it).
 */
function awaitMerge(d: Draft): void {
  const L = d.s.landing!;
  const n = (d.s.landings += 1);
  const members = L.members.slice();
  members[L.next] = { ...members[L.next]!, n };
  d.s.landing = { ...L, members };
}

/** The landing is over (judged, or nothing merged): conflict retries held for it may go. */
export function endLanding(d: Draft): void {
  d.s.landing = undefined;
  const held = d.s.held;
  if (held.length === 0) return;
  d.s.held = [];
  for (const i of held) if (d.task(i).status === 'retrying' && d.s.unmet[i] === 0) d.addReady(i);
}

/** The awaited member got its answer: land the next one, or hand the batch to CI. */
export function continueLanding(d: Draft): void {
  const L = { ...d.s.landing!, next: d.s.landing!.next + 1 };
  d.s.landing = L;
  if (L.next < L.members.length) {
    awaitMerge(d);
    return;
  }
  if (!L.members.some((m) => m.sha)) {
    endLanding(d);
    return;
  }
  d.s.landing = { ...L, validating: d.s.goalHead, since: d.event.at };
}

function settleGoal(d: Draft): void {
  const s = d.s;
  const c = s.counts;
  if (c.done + c.skipped + c.excluded === s.tasks.length) {
    const landed = c.done > 0 && s.pr.requested;
    d.setStatus(
      'done',
      undefined,
      landed
        ? `Every task is in and CI is green${s.pr.number ? `: pull request #${s.pr.number} is ready for review` : ''}.`
        : 'Every task is settled; nothing was landed, so there is no pull request.',
    );
    s.finishedAt = d.event.at;
    // The pull request is marked ready (an owed mark-pr-ready) once it is known.
    if (s.pr.requested && !s.pr.ready) s.pr = { ...s.pr, ready: true, readyMarked: false };
    return;
  }
  const moving = c.running + c.landing + c.validating + c.failed + s.ready.length;
  if (moving > 0 || s.landing) return;
  const stuck: string[] = [];
  s.tasks.forEach((t, i) => {
    if (
      // After Start only tasks recovery added (or changed) await approval.
      t.status === 'proposed' ||
      t.status === 'needs-human' ||
      t.status === 'blocked' ||
      t.status === 'queued' ||
      t.status === 'retrying'
    )
      stuck.push(`${d.taskId(i)} ${t.status}${t.reason ? `: ${t.reason}` : ''}`);
  });
  d.setStatus('partial', undefined, `Nothing else can run. ${stuck.join('; ')}`);
  s.finishedAt = d.event.at;
}
