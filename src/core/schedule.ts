import { reserve } from './budget.js';
import { fillQueue } from './steps/queue.js';
import { isRunning } from './goal.js';
import type { Draft } from './draft.js';
import { toMicros } from './money.js';

/**
 * After every accepted event: start the next candidate of the queue, dispatch what is ready, and decide
 * whether the goal is done or stuck. Landing goes on while paused: finished work is never lost.
 */
export function advance(d: Draft): void {
  if (!isRunning(d.s.status)) return;
  fillQueue(d);
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
  if (moving > 0 || s.queue.length > 0) return;
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
