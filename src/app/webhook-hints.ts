import { isPlanCommentBody } from '../core/checklist/superseded.js';
import { parseCommand } from '../core/commands.js';
import { STATE_LABELS } from '../core/labels.js';
import { CandidateRef, GoalBranch } from '../core/names.js';
import { parseRunTitle, TASK_WORKFLOW_FILE } from './dispatch.js';
import { goalKey, type GoalRef } from './goal-facts.js';
import type { WebhookName, WebhookPayload } from './github/webhooks.js';
import type { Hint } from './hints.js';
import type { StateMemory } from './state-memory.js';

/** A hint and the goal it is for. */
export interface Routed {
  ref: GoalRef;
  hint: Hint;
}

/** What a rule may consult besides the payload. */
export interface HintDeps {
  memory: StateMemory;
  /** Gantry's own app id: its check suites and runs judge nothing. */
  appId?: number | undefined;
}

type Payload<E extends WebhookName> = WebhookPayload<E>;

/** From one webhook's payload to the hints it gives (a status names several branches), or none. */
export type HintRule<E extends WebhookName> = (
  payload: Payload<E>,
  deps: HintDeps,
) => Routed | Routed[] | undefined;

export type HintTable = { [E in WebhookName]?: HintRule<E> };

interface Repo {
  name: string;
  owner: { login: string };
  default_branch: string;
}

interface IssuePayload {
  repository: Repo;
  issue: { number: number; labels?: { name: string }[] | undefined; pull_request?: unknown };
  sender: { login: string; type: string };
}

/** A rule of an issue event: pull requests (issues too, to GitHub) are not goals. */
const onIssue =
  <P extends IssuePayload>(toHint: (p: P, deps: HintDeps) => Hint | undefined) =>
  (p: P, deps: HintDeps): Routed | undefined => {
    if (p.issue.pull_request) return undefined;
    const hint = toHint(p, deps);
    return hint && { ref: refOf(p.repository, p.issue.number), hint };
  };

/** CI reported on a branch: a hint for its goal when it is a goal branch or a candidate's ref. */
const ci = (repository: Repo | undefined, branch: string | null | undefined, sha: string) => {
  const goal = branch ? (GoalBranch.parse(branch) ?? CandidateRef.parse(branch)) : undefined;
  if (!goal || !repository) return undefined;
  return { ref: refOf(repository, goal.issue), hint: { kind: 'ci' as const, sha } };
};

const ownApp = (deps: HintDeps, a: { id: number | null } | null | undefined) =>
  deps.appId !== undefined && a?.id === deps.appId;

/**
 * Every webhook Gantry handles, and the hint it gives the goal it concerns. Hints are not truth:
 * the goal's reconcile reads GitHub's facts; a hint says only what GitHub cannot tell later.
 */
export const WEBHOOK_HINTS = {
  // State labels are Gantry's own output; a label added by automation counts otherwise (a
  // person still approves the plan; auto-approval checks who added its label).
  'issues.labeled': onIssue((p) =>
    p.label && !isStateLabel(p.label.name) ? { kind: 'labeled', label: p.label.name } : undefined,
  ),
  'issues.unlabeled': onIssue((p) =>
    p.label && !isStateLabel(p.label.name)
      ? { kind: 'unlabeled', label: p.label.name, labels: labelsOf(p) }
      : undefined,
  ),
  'issues.closed': onIssue((p) => ({ kind: 'closed', labels: labelsOf(p) })),
  'issues.edited': onIssue((p) =>
    p.changes.body ? { kind: 'issue-edited', sender: senderOf(p), labels: labelsOf(p) } : undefined,
  ),
  'issue_comment.created': onIssue((p) =>
    p.sender.type !== 'Bot' && parseCommand(p.comment.body)
      ? { kind: 'command', commentId: p.comment.id, body: p.comment.body, sender: senderOf(p) }
      : undefined,
  ),
  'issue_comment.edited': onIssue((p, deps) => {
    const from = p.changes.body?.from;
    if (from === undefined || p.comment.user?.type !== 'Bot' || !isPlanCommentBody(from))
      return undefined;
    // Gantry's own edit coming back: nothing to do, and no loop.
    if (p.sender.type === 'Bot' && deps.memory.wrote(p.comment.id, p.comment.body))
      return undefined;
    return {
      kind: 'comment-edited',
      commentId: p.comment.id,
      from,
      to: p.comment.body,
      sender: senderOf(p),
    };
  }),
  workflow_run: (p, deps) => {
    const { workflow_run: run, repository } = p;
    // Newer than some payload types: GitHub sends both today.
    const { path, display_title } = run as { path?: string; display_title?: string };
    // Another workflow: the repository's CI, judging a goal branch perhaps.
    if (path && !path.endsWith(`/${TASK_WORKFLOW_FILE}`))
      return run.status === 'completed' ? ci(repository, run.head_branch, run.head_sha) : undefined;
    const title = parseRunTitle(display_title ?? '');
    if (!title) return undefined;
    const ref = refOf(repository, title.goal);
    // A run starting that the goal already knows (GitHub named it when it was dispatched)
    // changes nothing: no reconcile, no requests.
    const known = deps.memory.goal(goalKey(ref))?.state.tasks.some((t) => t.runId === run.id);
    if (run.status !== 'completed' && known) return undefined;
    return {
      ref,
      hint: {
        kind: 'run',
        runId: run.id,
        distinctId: title.distinctId,
        status: run.status ?? '',
        conclusion: run.conclusion ?? null,
        ...(run.run_attempt ? { attempt: run.run_attempt } : {}),
      },
    };
  },
  // CI on a goal branch: the goal's reconcile reads the verdict of the sha it is judging.
  'check_suite.completed': ({ check_suite: suite, repository }, deps) =>
    ownApp(deps, suite.app) ? undefined : ci(repository, suite.head_branch, suite.head_sha),
  'check_run.completed': ({ check_run: run, repository }, deps) =>
    ownApp(deps, run.app) ? undefined : ci(repository, run.check_suite?.head_branch, run.head_sha),
  status: (p) =>
    p.state === 'pending'
      ? undefined
      : p.branches.flatMap((b) => ci(p.repository, b.name, p.sha) ?? []),
} satisfies HintTable;

function refOf(repository: Repo, issue: number): GoalRef {
  return {
    owner: repository.owner.login,
    repo: repository.name,
    issue,
    defaultBranch: repository.default_branch,
  };
}

const isStateLabel = (name: string) => (STATE_LABELS as readonly string[]).includes(name);
const labelsOf = (p: IssuePayload) => (p.issue.labels ?? []).map((l) => l.name);
const senderOf = (p: IssuePayload) => ({ login: p.sender.login, bot: p.sender.type === 'Bot' });
