import type { Effect, FailureInfo } from '../core/effects.js';
import type { RecoveryAction } from '../core/events.js';
import { inert } from '../core/inert.js';
import { PlannerError } from '../planner/errors.js';
import type { FailureContext } from '../planner/planner.js';
import { failedCheckRuns } from './ci-verdict.js';
import { charge } from './charges.js';
import type { GoalContext } from './goal-context.js';
import { GitHubGone } from './github/github-error.js';

/** Bounds of what is gathered about a CI failure for the recovery planner. */
const MAX_RUNS = 3;
const MAX_ANNOTATIONS = 20;
const LOG_TAIL_CHARS = 4000;

/**
 * A failed attempt waits for the recovery planner (an owed ask-recovery): ask it, with what went
 * wrong as the state recorded it, and apply its answer (retry with guidance, new tasks, or a
 * question for a human). A planner that cannot answer now leaves the task failed, so the next
 * pass asks again.
 */
export async function recoverAttempt(
  g: GoalContext,
  e: Extract<Effect, { type: 'ask-recovery' }>,
): Promise<void> {
  const s = g.session.state;
  if (!s?.plan || !g.config.ok) return;
  const i = s.plan.tasks.findIndex((t) => t.id === e.taskId);
  const t = s.tasks.at(i);
  if (!t) return;
  // The run of the failed attempt, for its log (a CI failure's logs are the CI's).
  const runId = t.attempt === e.attempt ? t.runId : undefined;
  const context = await failureContext(g, e.failure, runId);
  try {
    const { value, calls } = await g.deps.planner(g.config.value).recover({
      plan: s.plan,
      taskId: e.taskId,
      attempts: [
        {
          attempt: e.attempt,
          outcome: e.failure.kind,
          summary: e.failure.detail,
          guidance: t.guidance,
        },
      ],
      failure: context,
    });
    charge(g, 'recover', calls);
    const applied = g.session.apply({
      type: 'recovery.proposed',
      at: g.deps.now(),
      taskId: e.taskId,
      attempt: e.attempt,
      rootCause: value.rootCause,
      action: value.action,
    });
    if (value.action.kind === 'inject' && !applied.ignored) askApproval(g, e.taskId, value.action);
  } catch (err) {
    if (!(err instanceof PlannerError)) throw err;
    charge(g, 'recover', err.calls);
    g.session.reply(
      `Recovery planning for ${e.taskId} failed: ${inert(err.userMessage)} Gantry asks again on its next pass; \`/gantry retry ${e.taskId}\` retries it now, \`/gantry skip ${e.taskId}\` skips it.`,
      { once: true },
    );
  }
}

/**
 * Tasks recovery added wait for ticks (unless `recovery.autoApprove`): an edit of the plan comment
 * notifies nobody, so a reply tells the people watching the issue what to review.
 */
function askApproval(
  g: GoalContext,
  taskId: string,
  action: Extract<RecoveryAction, { kind: 'inject' }>,
): void {
  const s = g.session.state!;
  const waiting = action.tasks.filter((t) => {
    const i = s.plan?.tasks.findIndex((p) => p.id === t.id) ?? -1;
    return s.tasks.at(i)?.status === 'proposed';
  });
  if (waiting.length === 0) return;
  const url = g.session.live?.htmlUrl;
  g.session.reply(
    `**Recovery for ${taskId} proposes ${waiting.length === 1 ? 'a new task' : `${waiting.length} new tasks`} that need${waiting.length === 1 ? 's' : ''} approval before ${waiting.length === 1 ? 'it runs' : 'they run'}:** ${waiting.map((t) => `${t.id} ${inert(t.title, 'line')}`).join('; ')}. Review what ${waiting.length === 1 ? 'it runs' : 'they run'} in the ${url ? `[plan comment](${url})` : 'plan comment'} and tick ${waiting.length === 1 ? 'it' : 'them'} (and ${taskId}, which waits for ${waiting.length === 1 ? 'it' : 'them'}), or comment \`/gantry approve ${[...waiting.map((t) => t.id), taskId].join(' ')}\` after reviewing them, or \`/gantry skip ${waiting[0]!.id}\` to refuse one.`,
    { once: true },
  );
}

/**
 * What the planner is told about a failure. For CI: the failed check runs, their annotations and
 * the end of each failed Actions job's log, all bounded. For the agent's run: the criteria that
 * failed, what the path policy refused, and the end of the task run's failed (or agent) job's log.
 */
async function failureContext(
  g: GoalContext,
  f: FailureInfo,
  runId: number | undefined,
): Promise<FailureContext> {
  const base: FailureContext = {
    kind: f.kind,
    detail: f.detail,
    ...(f.failedChecks ? { failedChecks: f.failedChecks } : {}),
    ...(f.failedCriteria ? { failedCriteria: f.failedCriteria } : {}),
    ...(f.refused ? { refusedPaths: f.refused } : {}),
  };
  if (f.kind === 'agent' && runId !== undefined) {
    const logTail = await taskRunLogTail(g, runId);
    return logTail ? { ...base, logTail } : base;
  }
  if (f.kind !== 'ci' || !f.sha) return base;
  const runs = (await failedCheckRuns(g, f.sha)).slice(0, MAX_RUNS);
  const annotations: { path: string; line?: number | undefined; message: string }[] = [];
  const tails: string[] = [];
  for (const run of runs) {
    const found = await g.github.listAnnotations(run.id, MAX_ANNOTATIONS);
    annotations.push(...found.slice(0, MAX_ANNOTATIONS - annotations.length));
    if (run.actions) {
      const log = await jobLogTail(g, run.id);
      if (log) tails.push(`== ${run.name} ==\n${log}`);
    }
  }
  return {
    ...base,
    failedChecks: f.failedChecks ?? runs.map((r) => r.name),
    ...(annotations.length ? { annotations } : {}),
    ...(tails.length ? { logTail: tails.join('\n').slice(-LOG_TAIL_CHARS) } : {}),
  };
}

/**
 * The end of the task run's log: its failed job's (the agent's, or the publish job that refused),
 * else the agent job's; none when the run or its logs are gone.
 */
export async function taskRunLogTail(g: GoalContext, runId: number): Promise<string | undefined> {
  let jobs;
  try {
    jobs = await g.github.listRunJobs(runId);
  } catch (e) {
    if (e instanceof GitHubGone) return undefined;
    throw e;
  }
  const job = jobs.find((j) => j.conclusion === 'failure') ?? jobs.find((j) => j.name === 'agent');
  const log = job && (await jobLogTail(g, job.id));
  return log ? `== ${job.name} ==\n${log}` : undefined;
}

/** The end of an Actions job's log (GitHub redirects to the text); none when it is gone. */
async function jobLogTail(g: GoalContext, jobId: number): Promise<string | undefined> {
  try {
    return (await g.github.jobLog(jobId)).slice(-LOG_TAIL_CHARS);
  } catch (e) {
    // Logs expire, and a job that never started has none.
    if (e instanceof GitHubGone) return undefined;
    throw e;
  }
}
