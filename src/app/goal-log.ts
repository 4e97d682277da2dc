import type { AuditRecord } from '../core/effects.js';
import type { GoalEvent } from '../core/events.js';
import type { StepResult } from '../core/step.js';
import type { GoalRef } from './goal-facts.js';

/** The part of Probot's logger (pino) the goal log writes to. */
export interface GoalLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** An operator's name for the step an event is. */
const STEP: Partial<Record<GoalEvent['type'], string>> = {
  'plan.proposed': 'planned',
  'plan.replaced': 'planned',
  'plan.failed': 'failed',
  'plan.deferred': 'plan-deferred',
  'approvals.changed': 'approved',
  start: 'started',
  'task.dispatch-sent': 'dispatched',
  'task.dispatched': 'dispatched',
  'task.finished': 'finished',
  'landing.result': 'landed',
  'ci.verdict': 'ci-verdict',
  'base.verdict': 'base-verdict',
  'recovery.proposed': 'recovery',
  'escalation.posted': 'escalated',
  'pr.opened': 'pr',
  'pr.marked-ready': 'pr',
  pause: 'paused',
  resume: 'resumed',
  cancel: 'cancelled',
};

/** Statuses an operator may have to look at: logged as warnings. */
const NEEDS_ATTENTION = new Set([
  'failed',
  'needs-human',
  'partial',
  'paused:budget',
  'paused:breaker',
  'paused:base',
]);

/** What an applied event says when it changes no status (the audit trail then has no record). */
const UNAUDITED: Partial<Record<GoalEvent['type'], (e: never) => string>> = {
  'task.dispatched': (e: { taskId: string; attempt: number; runId: number }) =>
    `${e.taskId} attempt ${e.attempt} dispatched as run ${e.runId}`,
  'ci.verdict': (e: { sha: string; verdict: string }) => `CI ${e.verdict} on ${e.sha.slice(0, 12)}`,
  'base.verdict': (e: { sha: string; verdict: string }) =>
    `the base ${e.sha.slice(0, 12)} is ${e.verdict}`,
  'pr.opened': (e: { number: number }) => `draft pull request #${e.number} opened`,
  'pr.marked-ready': (e: { number: number }) => `pull request #${e.number} marked ready for review`,
};

/**
 * One structured line per goal step, from what the core's `step` recorded: every status change
 * of the goal and its tasks, and the steps that change none (a dispatch's run id, a verdict on a
 * batch, the pull request). Failures and stops that need a person are warnings. Each line names the repository, the issue and
 * the goal id, so one goal's story is one filter away.
 */
export function logStep(log: GoalLog, ref: GoalRef, event: GoalEvent, r: StepResult): void {
  if (r.ignored) return;
  const base = { repository: `${ref.owner}/${ref.repo}`, issue: ref.issue, goal: r.state.id };
  const where = `${base.repository}#${ref.issue}`;
  for (const a of r.audit) {
    const step = stepOf(a);
    const fields = { ...base, step, ...a, at: new Date(a.at).toISOString() };
    const message = `goal ${where} ${step}: ${a.subject} ${a.from} -> ${a.to}${a.detail ? ` (${firstLine(a.detail)})` : ''}`;
    if (NEEDS_ATTENTION.has(a.to)) log.warn(fields, message);
    else log.info(fields, message);
  }
  const describe = UNAUDITED[event.type] as ((e: GoalEvent) => string) | undefined;
  if (r.audit.length === 0 && describe) {
    const step = STEP[event.type]!;
    log.info(
      { ...base, step, event: event.type, at: new Date(event.at).toISOString() },
      `goal ${where} ${step}: ${describe(event)}`,
    );
  }
}

/** A task's step, by the status it went to (the event that caused it is logged beside it). */
const TASK_STEP: Record<string, string> = {
  approved: 'approved',
  excluded: 'excluded',
  queued: 'queued',
  running: 'scheduled', // its dispatch is owed; `dispatched` follows with the run id
  landing: 'finished',
  validating: 'landed',
  done: 'done',
  failed: 'failed',
};

/** The step an audit record is, by what changed rather than by the event that caused it. */
function stepOf(a: AuditRecord): string {
  if (a.subject === 'goal') {
    if (a.to === 'awaiting-approval') return 'planned';
    if (a.to === 'running') return a.from === 'awaiting-approval' ? 'started' : 'resumed';
    return a.to.split(':')[0]!; // planning (a replan), paused, done, partial, failed, cancelled
  }
  if (a.from === 'validating') return 'ci-verdict';
  return TASK_STEP[a.to] ?? STEP[a.event as GoalEvent['type']] ?? a.event;
}

const firstLine = (text: string) => {
  const line = text.split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
};
