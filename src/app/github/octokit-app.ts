import type { Probot, ProbotOctokit } from 'probot';
import type { GitHubApp, Installation } from './github-port.js';
import { call } from './github-error.js';
import { octokitGitHub } from './octokit-github.js';

/** The App's installations through Probot's clients (a JWT, then one token per installation). */
export function octokitApp(app: Probot): GitHubApp {
  return {
    installations: async () => {
      const appOctokit = await app.auth();
      const list = await call(
        appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 }),
      );
      return list.map((i) => installation(app, i.id));
    },
  };
}

function installation(app: Probot, id: number): Installation {
  return {
    id,
    repositories: async () => {
      const octokit: ProbotOctokit = await app.auth(id);
      const repos = await call(
        octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 }),
      );
      return repos.map((r) => ({
        repository: {
          owner: r.owner.login,
          name: r.name,
          fullName: r.full_name,
          defaultBranch: r.default_branch,
          archived: r.archived,
        },
        github: octokitGitHub(octokit, { owner: r.owner.login, repo: r.name }),
      }));
    },
  };
}
