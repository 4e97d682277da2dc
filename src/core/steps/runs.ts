import { release, settle } from '../budget.js';
import { clip, LIMITS, type Draft } from '../draft.js';
import type { GoalEvent } from '../events.js';
import { mergeFindings } from '../findings.js';
import { failAttempt } from '../lifecycle.js';
import { toMicros } from '../money.js';
import { LOST_DISPATCH_MS } from '../owed-effects.js';
import { currentAttempt } from './current-attempt.js';
import { ignore, type Handler } from './handler.js';
import { applyRecovery } from './recovery.js';

/** Task runs: dispatched, found, finished (and reviewed), cancelled. */

/** Replace the task's reservation by what its run really cost. */
function settleRun(d: Draft, i: number, costUsd: number): void {
  const t = d.task(i);
  const cost = Math.max(0, toMicros(costUsd));
  d.s.budget = settle(d.s.budget, t.reservedMicros, cost);
  d.setTask(i, { reservedMicros: 0, spentMicros: t.spentMicros + cost });
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

export const onDispatched: Handler<'task.dispatched'> = (d, e) => {
  const stopped = stoppedRun(d, e.taskId, e.attempt);
  if (stopped !== undefined && d.task(stopped).runId === undefined) {
    // Known now, the run of a stopped task is owed a cancel.
    d.setTask(stopped, { runId: e.runId });
    return undefined;
  }
  const i = currentAttempt(d, e.taskId, e.attempt, 'running');
  if (typeof i !== 'number') return i;
  if (d.task(i).runId !== undefined)
    return ignore(
      'duplicate',
      `${e.taskId} attempt ${e.attempt} already has run ${d.task(i).runId}`,
    );
  d.setTask(i, { runId: e.runId, sentAt: undefined, guidance: undefined });
  return undefined;
};

export const onDispatchSent: Handler<'task.dispatch-sent'> = (d, e) => {
  const i = currentAttempt(d, e.taskId, e.attempt, 'running');
  if (typeof i !== 'number') return i;
  const t = d.task(i);
  // A dispatch sent again, after the first one's run never showed up, starts a new wait.
  const lost = t.sentAt !== undefined && e.at - t.sentAt >= LOST_DISPATCH_MS;
  if (t.runId !== undefined || (t.sentAt !== undefined && !lost))
    return ignore('duplicate', `${e.taskId} attempt ${e.attempt} was already dispatched`);
  d.setTask(i, { sentAt: e.at });
  return undefined;
};

export const onCancelSent: Handler<'run.cancel-sent'> = (d, e) => {
  const i = stoppedRun(d, e.taskId, e.attempt);
  if (i === undefined || d.task(i).runId === undefined)
    return ignore('superseded', `${e.taskId} attempt ${e.attempt} has no run to cancel`);
  if (d.task(i).cancelSent)
    return ignore('duplicate', `the cancel of ${e.taskId} was already sent`);
  d.setTask(i, { cancelSent: true });
  return undefined;
};

export const onCapReached: Handler<'cap.reached'> = (d, e) => {
  const i = currentAttempt(d, e.taskId, e.attempt, 'running');
  if (typeof i !== 'number') return i;
  const t = d.task(i);
  if (t.runId !== undefined || t.sentAt !== undefined)
    return ignore('superseded', `${e.taskId} attempt ${e.attempt} was already sent`);
  // Never sent: the attempt did not happen. The task waits, queued, for the goal to resume.
  d.s.budget = release(d.s.budget, t.reservedMicros);
  d.setTask(i, {
    status: 'queued',
    attempt: e.attempt - 1,
    reservedMicros: 0,
    dispatchedAt: undefined,
    baseSha: undefined,
  });
  d.addReady(i);
  d.setStatus('paused', 'cap', e.reason);
  return undefined;
};

export const onRunNotFound: Handler<'run.not-found'> = (d, e) => {
  const i = stoppedRun(d, e.taskId, e.attempt);
  if (i === undefined || d.task(i).runId !== undefined)
    return ignore(
      'superseded',
      `${e.taskId} attempt ${e.attempt} is not a stopped run being looked for`,
    );
  d.s.budget = release(d.s.budget, d.task(i).reservedMicros);
  d.setTask(i, { reservedMicros: 0 });
  return undefined;
};

export const onFinished: Handler<'task.finished'> = (d, e) => {
  const stopped = stoppedRun(d, e.taskId, e.attempt);
  if (stopped !== undefined) {
    settleRun(d, stopped, e.usage.costUsd);
    return undefined;
  }
  const i = currentAttempt(d, e.taskId, e.attempt, 'running');
  if (typeof i !== 'number') return i;
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
  const problem =
    e.outcome === 'success' ? parentProblem(e.published, d.task(i).baseSha) : undefined;
  if (problem) {
    failAttempt(d, i, { kind: 'agent', detail: `not landed: ${problem}`, refused: [problem] });
  } else if (e.outcome === 'success') {
    // Set (or cleared) for every finished attempt: a later attempt never lands an earlier commit.
    d.setTask(i, { status: 'landing', publishedSha: e.published?.sha });
    d.s.landQueue = [...d.s.landQueue, { task: i, solo: false }];
  } else {
    failAttempt(d, i, {
      kind: 'agent',
      detail: e.refused?.length
        ? `the publish policy refused the patch: ${listed(e.refused)}`
        : `agent run ended ${e.outcome}${e.summary ? `: ${e.summary}` : ''}`,
      ...(e.failedCriteria?.length ? { failedCriteria: e.failedCriteria } : {}),
      ...(e.refused?.length ? { refused: e.refused } : {}),
    });
  }
  return undefined;
};

/** Why a published commit cannot be the attempt's work: a commit on another base lands more (or less). */
export function parentProblem(
  published: { sha: string; parent: string } | undefined,
  base: string | undefined,
): string | undefined {
  if (!published || base === undefined || published.parent === base) return undefined;
  return `the published commit ${published.sha.slice(0, 7)} is on ${published.parent.slice(0, 7)}, not on the attempt's base ${base.slice(0, 7)}`;
}

/** The first of several problems, and how many more: a task line has room for one. */
export function listed(problems: readonly string[]): string {
  const more = problems.length - 1;
  return `${problems[0] ?? ''}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/**
 * A successful run the planner reviewed. Passed, it is a finished success. Otherwise the attempt
 * ends partial with the review's reason (what it learned is not handed on) and is retried with
 * the feedback, or handed to a person.
 */
export const onReviewed: Handler<'task.reviewed'> = (d, e) => {
  const v = e.verdict;
  const why =
    v.kind === 'gaps-found'
      ? `the review found gaps: ${v.feedback}`
      : v.kind === 'needs-human'
        ? `the review needs a human: ${v.question}`
        : undefined;
  const finished: Extract<GoalEvent, { type: 'task.finished' }> = {
    type: 'task.finished',
    at: e.at,
    actor: e.actor,
    taskId: e.taskId,
    attempt: e.attempt,
    usage: e.usage,
    outcome: why === undefined ? 'success' : 'partial',
    summary: why ?? e.summary,
    findings: why === undefined ? e.findings : undefined,
  };
  const refused = onFinished(d, finished);
  if (refused || why === undefined) return refused;
  const i = d.indexOf(e.taskId)!;
  const t = d.task(i);
  if (t.status === 'failed' && t.attempt === e.attempt)
    applyRecovery(
      d,
      i,
      v.kind === 'gaps-found'
        ? { kind: 'retry', guidance: v.feedback }
        : { kind: 'escalate', question: v.kind === 'needs-human' ? v.question : why },
      why,
    );
  return undefined;
};
