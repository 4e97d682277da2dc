import type { Effect, FailureInfo } from '../core/effects.js';
import type { RecoveryAction } from '../core/events.js';
import { inert } from '../core/inert.js';
import { PlannerError } from '../planner/errors.js';
import type { AttemptRecord, FailureContext } from '../planner/planner.js';
import { failedCheckRuns } from './ci-verdict.js';
import { charge } from './charges.js';
import type { GoalContext } from './goal-context.js';
import { GitHubGone } from './github/github-error.js';
import { failedCriteriaOf, finishedRun, readTaskResult } from './task-results.js';

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
  // The run of the failed attempt, for its result and log (a CI failure's logs are the CI's).
  const runId = t.attempt === e.attempt ? t.runId : undefined;
  const context = await failureContext(
    g,
    e.failure,
    runId !== undefined ? { taskId: e.taskId, attempt: e.attempt, runId } : undefined,
  );
  // Every attempt the state still lists, with its reason, then this one.
  const earlier = (s.failures ?? [])
    .filter((f) => f.taskId === e.taskId && f.attempt < e.attempt)
    .map((f): AttemptRecord => ({ attempt: f.attempt, outcome: 'failed', summary: f.reason }));
  try {
    const { value, calls } = await g.deps.planner(g.config.value).recover({
      plan: s.plan,
      taskId: e.taskId,
      attempts: [
        ...earlier,
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

/** The failed attempt and the run that made it. */
interface AttemptRun {
  taskId: string;
  attempt: number;
  runId: number;
}

/**
 * What the planner is told about a failure: the state's facts (criteria that failed, refusals,
 * failed checks), what the attempt's result adds (its diff stat; failed criteria and refusals a
 * state written before they were kept lacks) and the end of the relevant log. For CI: the failed
 * check runs, their annotations and the end of each failed Actions job's log. For the agent's run:
 * the end of the task run's failed (or agent) job's log. All bounded.
 */
async function failureContext(
  g: GoalContext,
  f: FailureInfo,
  run: AttemptRun | undefined,
): Promise<FailureContext> {
  const facts = run ? await attemptFacts(g, run) : undefined;
  // The result's criteria whole (a command's with the end of its output); the state keeps them clipped.
  const failedCriteria = facts?.failedCriteria.length ? facts.failedCriteria : f.failedCriteria;
  // The state's refusals include the publish job's, which the agent's result does not know.
  const refused = f.refused ?? facts?.refused;
  const base: FailureContext = {
    kind: f.kind,
    detail: f.detail,
    ...(f.failedChecks ? { failedChecks: f.failedChecks } : {}),
    ...(failedCriteria?.length ? { failedCriteria } : {}),
    ...(refused?.length ? { refusedPaths: refused } : {}),
    ...(facts?.diffStat ? { diffStat: facts.diffStat } : {}),
    ...(facts?.summary ? { agentSummary: facts.summary } : {}),
  };
  if (f.kind === 'agent' && run) {
    const logTail = await taskRunLogTail(g, run.runId);
    return logTail ? { ...base, logTail } : base;
  }
  if (f.kind !== 'ci' || !f.sha) return base;
  const ci = await ciEvidence(g, f.sha);
  return {
    ...base,
    failedChecks: f.failedChecks ?? ci.runs,
    ...(ci.annotations.length ? { annotations: ci.annotations } : {}),
    ...(ci.logTail ? { logTail: ci.logTail } : {}),
  };
}

/** What the attempt's own result says, beyond what the state keeps. */
export interface AttemptFacts {
  diffStat: string;
  /** The agent's own account of the attempt. */
  summary: string;
  failedCriteria: string[];
  refused?: string[] | undefined;
}

/**
 * The attempt's result, read again from its run's artifact (the state keeps no diff): its diff
 * stat, the agent's summary, the criteria that failed and what the path policy refused. None when the run left no
 * usable result or its artifacts are gone.
 */
export async function attemptFacts(
  g: GoalContext,
  run: AttemptRun,
): Promise<AttemptFacts | undefined> {
  let read;
  try {
    read = await readTaskResult(g, finishedRun(g, run.runId), run.taskId, run.attempt);
  } catch (e) {
    // Artifacts expire, and a run can be deleted.
    if (e instanceof GitHubGone) return undefined;
    throw e;
  }
  if ('problem' in read) return undefined;
  return {
    diffStat: read.diffStat,
    summary: read.result.summary,
    failedCriteria: failedCriteriaOf(read.result),
    ...(read.result.refused?.length ? { refused: read.result.refused } : {}),
  };
}

/**
 * CI's evidence on a red sha: the failed check runs (the first few), their annotations and the end
 * of each failed Actions job's log, bounded.
 */
async function ciEvidence(
  g: GoalContext,
  sha: string,
): Promise<{
  runs: string[];
  annotations: { path: string; line?: number | undefined; message: string }[];
  logTail?: string | undefined;
}> {
  const runs = (await failedCheckRuns(g, sha)).slice(0, MAX_RUNS);
  const annotations: { path: string; line?: number | undefined; message: string }[] = [];
  for (const run of runs) {
    const found = await g.github.listAnnotations(run.id, MAX_ANNOTATIONS);
    annotations.push(...found.slice(0, MAX_ANNOTATIONS - annotations.length));
  }
  const logTail = await ciLogTail(g, runs);
  return { runs: runs.map((r) => r.name), annotations, ...(logTail ? { logTail } : {}) };
}

/** The end of each failed Actions job's log, together bounded. */
async function ciLogTail(
  g: GoalContext,
  runs: readonly { id: number; name: string; actions?: boolean | undefined }[],
): Promise<string | undefined> {
  const tails: string[] = [];
  for (const run of runs.filter((r) => r.actions)) {
    const log = await jobLogTail(g, run.id);
    if (log) tails.push(`== ${run.name} ==\n${log}`);
  }
  return tails.length ? tails.join('\n').slice(-LOG_TAIL_CHARS) : undefined;
}

/**
 * The last output of a failed attempt, for the comment that asks a person: the end of the task
 * run's log after an agent failure, of the failed CI jobs' logs after a CI failure.
 */
export async function lastOutput(
  g: GoalContext,
  f: FailureInfo,
  runId: number | undefined,
): Promise<string | undefined> {
  if (f.kind === 'ci' && f.sha)
    return ciLogTail(g, (await failedCheckRuns(g, f.sha)).slice(0, MAX_RUNS));
  return runId !== undefined ? taskRunLogTail(g, runId) : undefined;
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
