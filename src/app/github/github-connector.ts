import type { Probot, ProbotOctokit } from 'probot';
import type { GitHubApp, GitHubPort } from './github-port.js';
import { octokitApp } from './octokit-app.js';
import { octokitGitHub } from './octokit-github.js';

/** How the App reaches GitHub: through Probot's clients, or (in tests) a GitHub in memory. */
export interface GitHubConnector {
  /** The port for a repository, over the client of the webhook that named it. */
  repository(octokit: ProbotOctokit, repository: { owner: string; repo: string }): GitHubPort;
  /** The App's installations, for sweeps. */
  app(probot: Probot): GitHubApp;
}

/** GitHub itself, through Octokit. */
export const probotGitHub: GitHubConnector = { repository: octokitGitHub, app: octokitApp };
