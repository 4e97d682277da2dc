import type { FailureInfo } from '../core/effects.js';
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
 * Every failed attempt waits for the recovery planner: ask it, with what went wrong, and apply
 * its answer (retry with guidance, new tasks, or a question for a human). `known` holds the
 * failures the core just reported; a task found failed without one (its effect was lost in a
 * crash) is asked about from the reason in the state. A planner that cannot answer now leaves
 * the task failed, and the next reconcile asks again.
 */
export async function recoverFailed(
  g: GoalContext,
  known: ReadonlyMap<string, FailureInfo>,
  asked: Set<string>,
): Promise<void> {
  const s = g.session.state;
  if (!s?.plan || !g.config.ok) return;
  for (const [i, t] of s.tasks.entries()) {
    if (t.status !== 'failed') continue;
    const task = s.plan.tasks[i]!;
    const key = `${task.id}:a${t.attempt}`;
    if (asked.has(key)) continue;
    asked.add(key);
    const failure = known.get(key) ?? {
      kind: 'agent' as const,
      detail: t.reason ?? 'the attempt failed',
    };
    const context = await failureContext(g, failure);
    try {
      const { value, calls } = await g.deps.planner(g.config.value).recover({
        plan: s.plan,
        taskId: task.id,
        attempts: [
          {
            attempt: t.attempt,
            outcome: failure.kind,
            summary: failure.detail,
            guidance: t.guidance,
          },
        ],
        failure: context,
      });
      charge(g, 'recover', calls);
      g.session.apply({
        type: 'recovery.proposed',
        at: g.deps.now(),
        taskId: task.id,
        attempt: t.attempt,
        rootCause: value.rootCause,
        action: value.action,
      });
    } catch (e) {
      if (!(e instanceof PlannerError)) throw e;
      charge(g, 'recover', e.calls);
      g.session.reply(
        `Recovery planning for ${task.id} failed: ${e.userMessage} Gantry asks again on its next pass; \`/gantry retry ${task.id}\` retries it now, \`/gantry skip ${task.id}\` skips it.`,
        { once: true },
      );
    }
  }
}

/**
 * What the planner is told about a failure. For CI: the failed check runs, their annotations and
 * the end of each failed Actions job's log, all bounded.
 */
async function failureContext(g: GoalContext, f: FailureInfo): Promise<FailureContext> {
  const base: FailureContext = {
    kind: f.kind,
    detail: f.detail,
    ...(f.failedChecks ? { failedChecks: f.failedChecks } : {}),
  };
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
