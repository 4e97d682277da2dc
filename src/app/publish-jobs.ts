import { bounded } from './state-memory.js';

/** The task workflow's job that pushes the task branch (`.github/workflows/gantry-task.yml`). */
export const PUBLISH_JOB = 'publish';

const keyOf = (repo: string, runId: number, runAttempt: number) =>
  `${repo.toLowerCase()}/${runId}/${runAttempt}`;

/**
 * How each task run's `publish` job ended, as signed `workflow_job` webhooks told it, in this
 * process: by repository, run id and run attempt (a re-run's jobs are other jobs; run ids are
 * GitHub's own across repositories, the repository is in the key all the same). A finished run
 * whose entry is here needs no listing of its jobs; one without (the webhook lost or late,
 * delivered to another replica, or before a restart) is listed as before.
 */
export class PublishJobs {
  private readonly ended = new Map<string, string | null>();

  constructor(private readonly capacity = 2000) {}

  remember(repo: string, runId: number, runAttempt: number, conclusion: string | null): void {
    bounded(this.ended, keyOf(repo, runId, runAttempt), conclusion, this.capacity);
  }

  /** How the job ended (null: no conclusion given), or undefined when no webhook told it. */
  conclusion(
    repo: string,
    runId: number,
    runAttempt: number,
  ): { conclusion: string | null } | undefined {
    const key = keyOf(repo, runId, runAttempt);
    return this.ended.has(key) ? { conclusion: this.ended.get(key)! } : undefined;
  }
}
