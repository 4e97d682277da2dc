import { STATE_LABELS } from '../core/labels.js';
import { ConfigError, triggerLabel } from './config.js';
import { readRawConfig, type GoalRef } from './goal-facts.js';
import type { GitHubApp, GitHubPort, Repository } from './github/github-port.js';

/** How far back the first sweep after a start looks for closed or unlabeled goals. */
export const FIRST_LOOKBACK_MS = 7 * 24 * 3600_000;

export interface SweepOptions {
  /** Issues changed since this time are checked whatever their state (closed, unlabeled). */
  since: number;
  /** A repository or installation that cannot be read is reported here and skipped. */
  onError: (where: string, error: unknown) => void;
}

/**
 * Every goal that may need work, in every installation and repository: open issues with the
 * trigger label, and issues of any state updated since the last sweep that carry the trigger or
 * a state label (their close or unlabel webhook may have been lost). Two list requests per
 * repository, plus its config.
 */
export async function* findActiveGoals(
  app: GitHubApp,
  options: SweepOptions,
): AsyncGenerator<{ github: GitHubPort; ref: GoalRef }> {
  for (const installation of await app.installations()) {
    let repos: Awaited<ReturnType<typeof installation.repositories>>;
    try {
      repos = await installation.repositories();
    } catch (e) {
      options.onError(`installation ${installation.id}`, e);
      continue;
    }
    for (const { repository, github } of repos) {
      if (repository.archived) continue;
      try {
        yield* repoGoals(github, repository, options);
      } catch (e) {
        options.onError(repository.fullName, e);
      }
    }
  }
}

async function* repoGoals(
  github: GitHubPort,
  repository: Repository,
  options: SweepOptions,
): AsyncGenerator<{ github: GitHubPort; ref: GoalRef }> {
  const base = {
    owner: repository.owner,
    repo: repository.name,
    defaultBranch: repository.defaultBranch,
  };
  let trigger: string;
  try {
    trigger = triggerLabel(await readRawConfig(github));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    trigger = triggerLabel(undefined);
  }
  const marks = new Set<string>([trigger, ...STATE_LABELS]);
  const [open, recent] = await Promise.all([
    github.listIssues({ labels: trigger, state: 'open' }),
    github.listIssues({ state: 'all', since: new Date(options.since).toISOString() }),
  ]);
  const seen = new Set<number>();
  for (const issue of [...open, ...recent]) {
    if (issue.isPullRequest || seen.has(issue.number)) continue;
    if (!issue.labels.some((n) => marks.has(n))) continue;
    seen.add(issue.number);
    yield { github, ref: { ...base, issue: issue.number } };
  }
}
