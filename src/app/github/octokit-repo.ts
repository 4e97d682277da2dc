import type { ProbotOctokit } from 'probot';
import type { RepositoryId } from './repository-id.js';

/** An installation's client and the repository it works on: what every Octokit area needs. */
export interface OctokitRepo {
  octokit: ProbotOctokit;
  owner: string;
  repo: string;
  /** The repository's GraphQL node id, shared by the port's areas for the port's lifetime. */
  repositoryId: RepositoryId;
}

/** GitHub's user object as an Actor. */
export const actorOf = (u: { login: string; type?: string } | null | undefined) =>
  u ? { login: u.login, bot: u.type === 'Bot' } : undefined;

/** A label as REST gives it (a name, or an object). */
export const labelName = (l: string | { name?: string | undefined }) =>
  typeof l === 'string' ? l : (l.name ?? '');
