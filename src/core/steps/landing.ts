import { markDone, failAttempt } from '../lifecycle.js';
import { continueLanding, endLanding } from '../schedule.js';
import { baseTimedOut, excuseKnownRed } from './base.js';
import { ignore, type Handler } from './handler.js';
import { listed } from './runs.js';

/** The goal branch: created, landed on one candidate at a time, judged by CI, reset when red. */

export const onBranchCreated: Handler<'goal-branch.created'> = (d) => {
  if (d.s.startedAt === undefined) return ignore('wrong-status', 'the goal has not started');
  if (d.s.branchCreated) return ignore('duplicate', `${d.s.branch} is already recorded`);
  d.s.branchCreated = true;
  return undefined;
};

export const onLanding: Handler<'landing.result'> = (d, e) => {
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
    return ignore(
      'superseded',
      `${e.taskId} attempt ${e.attempt} (landing ${e.landing}) is not the landing in progress`,
    );
  const i = m.task;
  const r = e.result;
  if (r.kind === 'merged') {
    const members = L.members.slice();
    members[L.next] = { ...m, sha: r.sha };
    d.s.landing = { ...L, members };
    d.s.goalHead = r.sha;
    d.setTask(i, { status: 'validating', landedSha: r.sha });
    // The first landing asks for the draft pull request (an owed open-draft-pr).
    if (!d.s.pr.requested) d.s.pr = { ...d.s.pr, requested: true };
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
  continueLanding(d);
  return undefined;
};

export const onVerdict: Handler<'ci.verdict'> = (d, verdict) => {
  const L = d.s.landing;
  if (!L?.validating)
    return ignore(
      'superseded',
      `no landing is waiting for CI (verdict for ${verdict.sha.slice(0, 7)})`,
    );
  if (L.validating !== verdict.sha)
    return ignore(
      'superseded',
      `verdict for ${verdict.sha.slice(0, 7)} is not for the goal head ${L.validating.slice(0, 7)}`,
    );
  // On a base that was red when the goal chose to go on, only new failures count.
  const e = excuseKnownRed(d, verdict);
  if (!e)
    return ignore(
      'not-due',
      `only checks red on the base failed on ${verdict.sha.slice(0, 7)} so far; the others are still running`,
    );
  const merged = L.members.filter(
    (m) => m.sha !== undefined && d.task(m.task).status === 'validating',
  );
  endLanding(d);
  if (e.verdict === 'green') {
    d.s.lastGreen = e.sha;
    for (const m of merged) markDone(d, m.task, m.sha);
    return undefined;
  }
  // Red: the goal head goes back to the last green sha (an owed reset-goal-ref) before anything
  // else lands.
  d.s.resetPending = { toSha: d.s.lastGreen!, fromSha: e.sha };
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

export const onRefReset: Handler<'goal-ref.reset'> = (d, e) => {
  if (d.s.resetPending?.fromSha !== e.fromSha)
    return ignore('duplicate', `no reset from ${e.fromSha.slice(0, 7)} is waiting`);
  d.s.resetPending = undefined;
  return undefined;
};

export const onTick: Handler<'tick'> = (d, e) => {
  // Landing waits for the base's verdict, so the two never wait for CI at once.
  if (baseTimedOut(d, e.at) === undefined) return undefined;
  const L = d.s.landing;
  if (!L?.validating || L.since === undefined)
    return ignore('not-due', 'nothing is waiting on time');
  const { policy, timeoutMs } = d.s.settings.ci;
  if (e.at - L.since < timeoutMs) return ignore('not-due', 'CI has time left');
  const minutes = Math.round(timeoutMs / 60_000);
  if (policy === 'required') {
    if (L.ciOverdue) return ignore('duplicate', 'still waiting for CI (already reported)');
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
