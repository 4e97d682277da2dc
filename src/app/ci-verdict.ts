import type { GoalEvent } from '../core/events.js';
import { TASK_WORKFLOW_FILE } from './dispatch.js';
import type { GoalContext } from './goal-context.js';

/** Conclusions that let a sha through; anything else a completed check ends with is red. */
const PASSING = new Set(['success', 'neutral', 'skipped']);
/** GitHub Actions' app: its suites exist only for workflows that run, so one without runs yet is coming. */
const ACTIONS_APP = 'github-actions';

export type CiReading =
  | { kind: 'verdict'; event: Extract<GoalEvent, { type: 'ci.verdict' }> }
  | { kind: 'waiting'; why: string };

/**
 * CI's verdict on one sha, from its check suites and commit statuses, read in one request (the
 * failing runs' names come with it). Suites of Gantry's own app are ignored, and so are suites
 * without runs (apps with Checks permission get a suite on every push whether they run anything
 * or not), except GitHub Actions suites still queued: their runs are about to be created. The task
 * workflow never judges: it never runs on a landed sha (it is dispatched on the default branch,
 * and every landing is a new merge commit), but its suites are on the default branch's head, the
 * base a goal starts from. With `ref`, only suites of that branch's pushes (or of none known)
 * count. Red as soon as one check failed (with how many were still running);
 * green when every check completed and passed; otherwise still waiting.
 */
/** A suite of Gantry's task workflow (dispatched on the default branch, so on the base's sha). */
const isTaskWorkflow = (path: string | undefined) =>
  path !== undefined && path.replace(/^.*\//, '') === TASK_WORKFLOW_FILE;

export async function readCi(
  g: GoalContext,
  sha: string,
  at: number,
  ref?: string,
): Promise<CiReading> {
  const { suites, statuses } = await g.github.ciReport(sha);
  const counted = suites.filter(
    (s) =>
      s.app?.id !== g.deps.appId &&
      !isTaskWorkflow(s.workflow) &&
      // A candidate is judged by its own ref's push: the next candidate's ref, made at this sha,
      // runs CI on it again (and the goal branch's fast-forward too), which must not hold it.
      (ref === undefined || s.branch === undefined || s.branch === ref) &&
      (s.runCount > 0 || (s.app?.slug === ACTIONS_APP && s.status !== 'completed')),
  );
  const pending =
    counted.filter((s) => s.status !== 'completed').length +
    statuses.filter((s) => s.state === 'pending').length;
  const failedSuites = counted.filter(
    (s) => s.status === 'completed' && !PASSING.has(s.conclusion ?? ''),
  );
  const failedStatuses = statuses.filter((s) => s.state === 'failure' || s.state === 'error');
  if (failedSuites.length || failedStatuses.length) {
    const failedRuns = counted.flatMap((s) =>
      s.runs.filter((r) => r.status === 'completed' && !PASSING.has(r.conclusion ?? '')),
    );
    const failedChecks = [
      ...new Set(failedRuns.map((r) => r.name)),
      ...failedStatuses.map((s) => s.context),
    ];
    return {
      kind: 'verdict',
      event: {
        type: 'ci.verdict',
        at,
        sha,
        verdict: 'red',
        failedChecks: failedChecks.length
          ? failedChecks
          : failedSuites.map((s) => s.app?.name ?? 'a check suite'),
        summary: failedStatuses[0]?.description,
        ...(pending ? { unfinished: pending } : {}),
      },
    };
  }
  if (counted.length === 0 && statuses.length === 0)
    return { kind: 'waiting', why: 'no check or status has been reported yet' };
  if (pending)
    return { kind: 'waiting', why: `${pending} check${pending === 1 ? '' : 's'} still running` };
  return { kind: 'verdict', event: { type: 'ci.verdict', at, sha, verdict: 'green' } };
}

export interface FailedRun {
  id: number;
  name: string;
  conclusion: string;
  summary: string | undefined;
  /** Made by GitHub Actions: its id is also the job's, whose log can be read. */
  actions: boolean;
}

/** The latest check runs on a sha that completed without passing. */
export async function failedCheckRuns(g: GoalContext, sha: string): Promise<FailedRun[]> {
  const runs = await g.github.listCheckRuns(sha);
  return runs
    .filter(
      (r) =>
        r.app?.id !== g.deps.appId && r.status === 'completed' && !PASSING.has(r.conclusion ?? ''),
    )
    .map((r) => ({
      id: r.id,
      name: r.name,
      conclusion: r.conclusion ?? 'unknown',
      summary: r.summary,
      actions: r.app?.slug === ACTIONS_APP,
    }));
}
