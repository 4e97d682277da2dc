import { randomUUID } from 'node:crypto';
import type { Probot, ProbotOctokit } from 'probot';
import type { GitHubPort } from './github/github-port.js';
import { octokitApp } from './github/octokit-app.js';
import { octokitGitHub } from './github/octokit-github.js';
import { isPlanCommentBody } from '../core/checklist/superseded.js';
import { parseCommand } from '../core/commands.js';
import { STATE_LABELS } from '../core/labels.js';
import type { AppDeps } from './goal-context.js';
import { parseRunTitle, TASK_WORKFLOW_FILE } from './dispatch.js';
import { goalKey, type GoalRef } from './goal-facts.js';
import { GoalWorkers } from './goal-workers.js';
import type { Hint } from './hints.js';
import { reconcileGoal } from './reconcile.js';
import { FIRST_LOOKBACK_MS, findActiveGoals } from './reconcile-all.js';
import { DeliveryLog, StateMemory } from './state-memory.js';
import { BreakerBook } from './breakers.js';
import { GoalBranch } from '../core/names.js';

export interface GantryAppOptions extends Omit<
  AppDeps,
  'memory' | 'now' | 'newGoalId' | 'breakers'
> {
  now?: () => number;
  /** The circuit breakers (default: fresh ones with the global defaults). */
  breakers?: BreakerBook;
  newGoalId?: () => string;
  /** Reconcile every active goal this often (default: only when `reconcileAll` is called). */
  reconcileEveryMs?: number | undefined;
  /** Called when a goal job fails for good (default: the app log). */
  onJobError?: (goal: string, error: unknown) => void;
  /** Waits before retrying a goal job after a transient GitHub failure. */
  retryDelaysMs?: readonly number[];
}

export interface GantryApp {
  (app: Probot): void;
  /** Resolves when every scheduled goal job has finished. */
  idle(): Promise<void>;
  /** Reconcile every goal with an active label in every installation (start-up and timer). */
  reconcileAll(): Promise<void>;
  /** Stop the timer. */
  close(): void;
}

interface Job {
  github: GitHubPort;
  ref: GoalRef;
}

interface IssuePayload {
  repository: { name: string; owner: { login: string }; default_branch: string };
  issue: { number: number; labels?: { name: string }[] | undefined; pull_request?: unknown };
  sender: { login: string; type: string };
}

/**
 * The Probot app. Handlers turn a webhook into a hint for its goal and return; the goal's worker
 * reconciles it against GitHub after the webhook is answered.
 */
export function gantryApp(options: GantryAppOptions): GantryApp {
  const deps: AppDeps = {
    planner: options.planner,
    stateKey: options.stateKey,
    serverUrl: options.serverUrl,
    now: options.now ?? Date.now,
    newGoalId: options.newGoalId ?? randomUUID,
    memory: new StateMemory(),
    breakers: options.breakers ?? new BreakerBook(),
    appId: options.appId,
  };
  const deliveries = new DeliveryLog();
  let workers: GoalWorkers<Job> | undefined;
  let probot: Probot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastSweep: number | undefined;

  const schedule = (octokit: ProbotOctokit, ref: GoalRef, hint: Hint) =>
    workers!.schedule(goalKey(ref), { github: octokitGitHub(octokit, ref), ref }, hint);

  const fn = ((app: Probot) => {
    probot = app;
    workers = new GoalWorkers<Job>(
      (job) => reconcileGoal(job.context.github, job.context.ref, job.hints, deps),
      options.onJobError ?? ((key, e) => app.log.error({ err: e, goal: key }, 'goal job failed')),
      options.retryDelaysMs,
    );
    const on = <P extends IssuePayload>(
      events: Parameters<Probot['on']>[0],
      toHint: (payload: P) => Hint | undefined,
    ) =>
      app.on(events, (context) => {
        if (!deliveries.first(context.id)) return;
        const payload = context.payload as unknown as P;
        if (payload.issue.pull_request) return;
        const hint = toHint(payload);
        if (hint) schedule(context.octokit, refOf(payload), hint);
      });

    // State labels are Gantry's own output; a label added by automation counts otherwise (a
    // person still approves the plan; auto-approval checks who added its label).
    on<IssuePayload & { label?: { name: string } }>('issues.labeled', (p) =>
      p.label && !isStateLabel(p.label.name) ? { kind: 'labeled', label: p.label.name } : undefined,
    );
    on<IssuePayload & { label?: { name: string } }>('issues.unlabeled', (p) =>
      p.label && !isStateLabel(p.label.name)
        ? { kind: 'unlabeled', label: p.label.name, labels: labelsOf(p) }
        : undefined,
    );
    on('issues.closed', (p) => ({ kind: 'closed', labels: labelsOf(p) }));
    on<IssuePayload & { changes?: { body?: unknown } }>('issues.edited', (p) =>
      p.changes?.body
        ? { kind: 'issue-edited', sender: senderOf(p), labels: labelsOf(p) }
        : undefined,
    );
    on<IssuePayload & { comment: { id: number; body: string } }>('issue_comment.created', (p) =>
      p.sender.type !== 'Bot' && parseCommand(p.comment.body)
        ? { kind: 'command', commentId: p.comment.id, body: p.comment.body, sender: senderOf(p) }
        : undefined,
    );
    on<
      IssuePayload & {
        comment: { id: number; body: string; user: { type: string } | null };
        changes: { body?: { from: string } };
      }
    >('issue_comment.edited', (p) => {
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
    });

    app.on('workflow_run', (context) => {
      if (!deliveries.first(context.id)) return;
      const { workflow_run: run, repository } = context.payload;
      const { path, display_title } = run as { path?: string; display_title?: string };
      if (path && !path.endsWith(`/${TASK_WORKFLOW_FILE}`)) {
        // Another workflow: the repository's CI, judging a goal branch perhaps.
        if (run.status === 'completed') onCi(context, run.head_branch, run.head_sha);
        return;
      }
      const title = parseRunTitle(display_title ?? '');
      if (!title) return;
      const ref: GoalRef = {
        owner: repository.owner.login,
        repo: repository.name,
        issue: title.goal,
        defaultBranch: repository.default_branch,
      };
      // A run starting that the goal already knows (GitHub named it when it was dispatched)
      // changes nothing: no reconcile, no requests.
      const known = deps.memory.goal(goalKey(ref))?.state.tasks.some((t) => t.runId === run.id);
      if (run.status !== 'completed' && known) return;
      schedule(context.octokit, ref, {
        kind: 'run',
        runId: run.id,
        distinctId: title.distinctId,
        status: run.status ?? '',
        conclusion: run.conclusion ?? null,
      });
    });

    // CI on a goal branch: the goal's reconcile reads the verdict of the sha it is judging.
    type CiContext = Parameters<Parameters<Probot['on']>[1]>[0];
    const onCi = (context: CiContext, branch: string | null | undefined, sha: string) => {
      const goal = branch ? GoalBranch.parse(branch) : undefined;
      const { repository } = context.payload as unknown as IssuePayload;
      if (!goal || !repository) return;
      const ref: GoalRef = {
        owner: repository.owner.login,
        repo: repository.name,
        issue: goal.issue,
        defaultBranch: repository.default_branch,
      };
      schedule(context.octokit, ref, { kind: 'ci', sha });
    };
    const ownApp = (a: { id: number | null } | null | undefined) =>
      deps.appId !== undefined && a?.id === deps.appId;
    app.on('check_suite.completed', (context) => {
      const suite = context.payload.check_suite;
      if (!deliveries.first(context.id) || ownApp(suite.app)) return;
      onCi(context, suite.head_branch, suite.head_sha);
    });
    app.on('check_run.completed', (context) => {
      const run = context.payload.check_run;
      if (!deliveries.first(context.id) || ownApp(run.app)) return;
      onCi(context, run.check_suite?.head_branch, run.head_sha);
    });
    app.on('status', (context) => {
      const p = context.payload;
      if (!deliveries.first(context.id) || p.state === 'pending') return;
      for (const b of p.branches) onCi(context, b.name, p.sha);
    });

    if (options.reconcileEveryMs) {
      timer = setInterval(() => void fn.reconcileAll(), options.reconcileEveryMs);
      timer.unref();
    }
  }) as GantryApp;

  fn.idle = () => workers?.idle() ?? Promise.resolve();
  fn.close = () => clearInterval(timer);
  fn.reconcileAll = async () => {
    if (!probot || !workers) throw new Error('the app is not loaded into Probot yet');
    const app = probot;
    const started = deps.now();
    const since = lastSweep ?? started - FIRST_LOOKBACK_MS;
    try {
      const onError = (where: string, err: unknown) =>
        app.log.error({ err, where }, 'sweep: skipped what could not be read');
      for await (const { github, ref } of findActiveGoals(octokitApp(app), { since, onError }))
        workers.schedule(goalKey(ref), { github, ref }, { kind: 'poke' });
      lastSweep = started;
    } catch (e) {
      app.log.error({ err: e }, 'reconciling all goals failed');
    }
  };
  return fn;
}

function refOf(p: IssuePayload): GoalRef {
  return {
    owner: p.repository.owner.login,
    repo: p.repository.name,
    issue: p.issue.number,
    defaultBranch: p.repository.default_branch,
  };
}

const isStateLabel = (name: string) => (STATE_LABELS as readonly string[]).includes(name);
const labelsOf = (p: IssuePayload) => (p.issue.labels ?? []).map((l) => l.name);
const senderOf = (p: IssuePayload) => ({ login: p.sender.login, bot: p.sender.type === 'Bot' });
