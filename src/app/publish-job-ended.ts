import type { GoalContext } from './goal-context.js';
import type { RunJob } from './github/github-port.js';
import { PUBLISH_JOB } from './publish-jobs.js';

/**
 * How the run's publish job ended (null: unfinished), or `missing` when the run has none. A
 * `workflow_job` webhook about this attempt of the run answers it without a request; without one
 * the run's jobs are listed (GitHub lists the latest attempt's).
 */
export async function publishJobEnded(
  g: GoalContext,
  run: { id: number; attempt?: number | undefined; jobs: () => Promise<RunJob[]> },
): Promise<{ conclusion: string | null } | 'missing'> {
  const told =
    run.attempt === undefined
      ? undefined
      : g.deps.jobs?.conclusion(`${g.ref.owner}/${g.ref.repo}`, run.id, run.attempt);
  if (told) return told;
  const job = (await run.jobs()).find((j) => j.name === PUBLISH_JOB);
  return job ? { conclusion: job.conclusion } : 'missing';
}
