import { STATE_LABELS } from '../core/labels.js';
import { GitHubGone } from './github/github-error.js';
import type { GitHubPort } from './github/github-port.js';

/**
 * Make the issue's state labels exactly `wanted`: add what is missing, remove other state labels.
 * Returns the issue's labels afterwards. Nothing is written when the labels are already right.
 */
export async function syncStateLabels(
  github: GitHubPort,
  issue: { number: number; labels: readonly string[] },
  wanted: readonly string[],
): Promise<string[]> {
  const add = wanted.filter((l) => !issue.labels.includes(l));
  const remove = issue.labels.filter(
    (l) => (STATE_LABELS as readonly string[]).includes(l) && !wanted.includes(l),
  );
  if (add.length) await github.addLabels(issue.number, add);
  for (const name of remove)
    await github.removeLabel(issue.number, name).catch((e: unknown) => {
      // Someone removed it first: the label is gone either way.
      if (!(e instanceof GitHubGone && e.status === 404)) throw e;
    });
  return [...issue.labels.filter((l) => !remove.includes(l)), ...add];
}
