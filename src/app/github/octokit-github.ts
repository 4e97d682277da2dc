import type { ProbotOctokit } from 'probot';
import type { GitHubPort } from './github-port.js';
import { octokitActions } from './octokit-actions.js';
import { octokitChecks } from './octokit-checks.js';
import { octokitGit } from './octokit-git.js';
import { octokitIssues } from './octokit-issues.js';
import { octokitPulls } from './octokit-pulls.js';
import { octokitRepos } from './octokit-repos.js';
import { RepositoryId } from './repository-id.js';

/** The GitHub port over an installation's Octokit client, for one repository. */
export function octokitGitHub(
  octokit: ProbotOctokit,
  repository: { owner: string; repo: string },
): GitHubPort {
  const r = {
    octokit,
    ...repository,
    repositoryId: new RepositoryId(octokit, repository.owner, repository.repo),
  };
  return {
    ...octokitIssues(r),
    ...octokitRepos(r),
    ...octokitGit(r),
    ...octokitActions(r),
    ...octokitChecks(r),
    ...octokitPulls(r),
  };
}
