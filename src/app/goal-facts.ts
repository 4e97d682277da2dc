import { isPlanCommentBody } from '../core/checklist/superseded.js';
import { ConfigError } from './config.js';
import { GitHubError } from './github/github-error.js';
import type { Comment, GitHubPort } from './github/github-port.js';

/** One goal: an issue of a repository. */
export interface GoalRef {
  owner: string;
  repo: string;
  issue: number;
  defaultBranch: string;
}

export const goalKey = (g: Pick<GoalRef, 'owner' | 'repo' | 'issue'>): string =>
  `${g.owner}/${g.repo}#${g.issue}`;

export interface IssueComment {
  id: number;
  /** GraphQL's id, for the comment's edit history. */
  nodeId?: string | undefined;
  body: string;
  htmlUrl: string;
  /** Written by Gantry (this App, when its id is known; otherwise any app). */
  byBot: boolean;
}

export interface IssueFacts {
  open: boolean;
  title: string;
  body: string;
  labels: string[];
  htmlUrl: string;
  /** Who closed the issue, when it is closed. */
  closedBy?: { login: string; bot: boolean } | undefined;
}

/** What GitHub says about the goal's issue now: the system of record, read on every reconcile. */
export interface GoalFacts {
  issue: IssueFacts;
  comments: IssueComment[];
}

export async function readGoalFacts(
  github: GitHubPort,
  issue: number,
  appId: number | undefined,
): Promise<GoalFacts> {
  const [read, comments] = await Promise.all([github.getIssue(issue), github.listComments(issue)]);
  return {
    issue: {
      open: read.open,
      title: read.title,
      body: read.body,
      labels: read.labels,
      htmlUrl: read.htmlUrl,
      closedBy: read.closedBy,
    },
    comments: comments.map((c) => ({
      id: c.id,
      nodeId: c.nodeId,
      body: c.body,
      htmlUrl: c.htmlUrl,
      byBot: writtenByApp(c, appId),
    })),
  };
}

/**
 * Whether Gantry wrote a comment. With the App's id, another app's comment never counts, even one
 * that copies Gantry's text; without it (a plain token, as in `probot receive -t`) any app's does.
 */
export function writtenByApp(c: Comment, appId: number | undefined): boolean {
  if (!c.author?.bot) return false;
  return appId === undefined || c.appId === undefined || c.appId === appId;
}

/**
 * Gantry's live plan comments on the issue, oldest first. Only app-written comments count: a
 * person's comment that quotes the marker is not a plan comment.
 */
export function livePlanComments(comments: readonly IssueComment[]): IssueComment[] {
  return comments.filter((c) => c.byBot && isPlanCommentBody(c.body));
}

/**
 * Read the repository's `.github/gantry.yml` the way `context.config` does (undefined: no file).
 * A file that is not YAML is a ConfigError, reported like any other config problem.
 */
export async function readRawConfig(github: GitHubPort): Promise<unknown> {
  try {
    return await github.readConfig('.github/gantry.yml');
  } catch (e) {
    if (e instanceof GitHubError) throw e;
    throw new ConfigError([`\`(file)\`: ${(e as Error).message}`]);
  }
}
