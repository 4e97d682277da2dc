import type { ProbotOctokit } from 'probot';

/** An installation's client and the repository it works on: what every Octokit area needs. */
export interface OctokitRepo {
  octokit: ProbotOctokit;
  owner: string;
  repo: string;
}

/** GitHub's user object as an Actor. */
export const actorOf = (u: { login: string; type?: string } | null | undefined) =>
  u ? { login: u.login, bot: u.type === 'Bot' } : undefined;

/** A label as REST gives it (a name, or an object). */
export const labelName = (l: string | { name?: string | undefined }) =>
  typeof l === 'string' ? l : (l.name ?? '');
