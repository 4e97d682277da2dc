import type { ProbotOctokit } from 'probot';
import { isPlanCommentBody } from '../core/checklist/superseded.js';
import { ConfigError } from './config.js';

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
  html_url: string;
  /** Written by Gantry (this App, when its id is known; otherwise any app). */
  byBot: boolean;
}

export interface IssueFacts {
  open: boolean;
  title: string;
  body: string;
  labels: string[];
  html_url: string;
  /** Who closed the issue, when it is closed. */
  closedBy?: { login: string; bot: boolean } | undefined;
}

/** What GitHub says about the goal's issue now: the system of record, read on every reconcile. */
export interface GoalFacts {
  issue: IssueFacts;
  comments: IssueComment[];
}

export async function readGoalFacts(
  octokit: ProbotOctokit,
  g: GoalRef,
  appId: number | undefined,
): Promise<GoalFacts> {
  const { owner, repo, issue: issue_number } = g;
  const [{ data: issue }, comments] = await Promise.all([
    octokit.rest.issues.get({ owner, repo, issue_number }),
    octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number,
      per_page: 100,
    }),
  ]);
  return {
    issue: {
      open: issue.state === 'open',
      title: issue.title,
      body: issue.body ?? '',
      labels: issue.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
      html_url: issue.html_url,
      closedBy: issue.closed_by
        ? { login: issue.closed_by.login, bot: issue.closed_by.type === 'Bot' }
        : undefined,
    },
    comments: comments.map((c) => ({
      id: c.id,
      nodeId: c.node_id,
      body: c.body ?? '',
      html_url: c.html_url,
      byBot: writtenByApp(c, appId),
    })),
  };
}

/**
 * Whether Gantry wrote a comment. With the App's id, another app's comment never counts, even one
 * that copies Gantry's text; without it (a plain token, as in `probot receive -t`) any app's does.
 */
export function writtenByApp(
  c: { user?: { type?: string } | null; performed_via_github_app?: { id?: number } | null },
  appId: number | undefined,
): boolean {
  if (c.user?.type !== 'Bot') return false;
  const via = c.performed_via_github_app?.id;
  return appId === undefined || via === undefined || via === appId;
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
export async function readRawConfig(
  octokit: ProbotOctokit,
  g: Pick<GoalRef, 'owner' | 'repo'>,
): Promise<unknown> {
  try {
    const { config, files } = await octokit.config.get({
      owner: g.owner,
      repo: g.repo,
      path: '.github/gantry.yml',
    });
    return files.some((f) => f.config !== null) ? config : undefined;
  } catch (e) {
    if (typeof (e as { status?: unknown }).status === 'number') throw e;
    throw new ConfigError([`\`(file)\`: ${(e as Error).message}`]);
  }
}
