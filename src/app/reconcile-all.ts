import type { Probot, ProbotOctokit } from 'probot';
import { STATE_LABELS } from '../core/labels.js';
import { ConfigError, triggerLabel } from './config.js';
import { readRawConfig, type GoalRef } from './goal-facts.js';

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
  app: Probot,
  options: SweepOptions,
): AsyncGenerator<{ octokit: ProbotOctokit; ref: GoalRef }> {
  const appOctokit = await app.auth();
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, {
    per_page: 100,
  });
  for (const installation of installations) {
    let octokit: ProbotOctokit;
    let repos: Awaited<ReturnType<typeof listRepos>>;
    try {
      octokit = await app.auth(installation.id);
      repos = await listRepos(octokit);
    } catch (e) {
      options.onError(`installation ${installation.id}`, e);
      continue;
    }
    for (const repo of repos) {
      if (repo.archived) continue;
      try {
        yield* repoGoals(octokit, repo, options);
      } catch (e) {
        options.onError(repo.full_name, e);
      }
    }
  }
}

const listRepos = (octokit: ProbotOctokit) =>
  octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });

async function* repoGoals(
  octokit: ProbotOctokit,
  repo: Awaited<ReturnType<typeof listRepos>>[number],
  options: SweepOptions,
): AsyncGenerator<{ octokit: ProbotOctokit; ref: GoalRef }> {
  const base = {
    owner: repo.owner.login,
    repo: repo.name,
    defaultBranch: repo.default_branch,
  };
  let trigger: string;
  try {
    trigger = triggerLabel(await readRawConfig(octokit, base));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    trigger = triggerLabel(undefined);
  }
  const marks = new Set<string>([trigger, ...STATE_LABELS]);
  const [open, recent] = await Promise.all([
    octokit.paginate(octokit.rest.issues.listForRepo, {
      owner: base.owner,
      repo: base.repo,
      labels: trigger,
      state: 'open',
      per_page: 100,
    }),
    octokit.paginate(octokit.rest.issues.listForRepo, {
      owner: base.owner,
      repo: base.repo,
      state: 'all',
      since: new Date(options.since).toISOString(),
      per_page: 100,
    }),
  ]);
  const seen = new Set<number>();
  for (const issue of [...open, ...recent]) {
    if (issue.pull_request || seen.has(issue.number)) continue;
    const names = issue.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
    if (!names.some((n) => marks.has(n))) continue;
    seen.add(issue.number);
    yield { octokit, ref: { ...base, issue: issue.number } };
  }
}
