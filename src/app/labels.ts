import type { ProbotOctokit } from 'probot';
import { STATE_LABELS } from '../core/labels.js';

/**
 * Make the issue's state labels exactly `wanted`: add what is missing, remove other state labels.
 * Returns the issue's labels afterwards. Nothing is written when the labels are already right.
 */
export async function syncStateLabels(
  octokit: ProbotOctokit,
  issue: { owner: string; repo: string; number: number; labels: readonly string[] },
  wanted: readonly string[],
): Promise<string[]> {
  const { owner, repo, number } = issue;
  const add = wanted.filter((l) => !issue.labels.includes(l));
  const remove = issue.labels.filter(
    (l) => (STATE_LABELS as readonly string[]).includes(l) && !wanted.includes(l),
  );
  if (add.length)
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: add });
  for (const name of remove)
    await octokit.rest.issues
      .removeLabel({ owner, repo, issue_number: number, name })
      .catch((e: unknown) => {
        // Someone removed it first: the label is gone either way.
        if ((e as { status?: number }).status !== 404) throw e;
      });
  return [...issue.labels.filter((l) => !remove.includes(l)), ...add];
}
