import { strToU8, zipSync } from 'fflate';
import { parse as parseYaml } from 'yaml';
import { asGitHubError } from '../../src/app/github/github-error.js';
import type {
  Comment,
  GitHubApp,
  GitHubPort,
  Issue,
  PullRequest,
  Repository,
} from '../../src/app/github/github-port.js';
import { ghApp, ghLabel, ghUser, reactions } from './github-objects.js';
import { MemoryGit, type MemorySuite } from './memory-git.js';
import { examplePayload } from './probot.js';

/**
 * GitHub in memory, behind the App's GitHub port: one repository with issues, comments, labels,
 * collaborators, branches, merges, workflow runs, pull requests and CI. It fails as GitHub does,
 * with the port's typed errors (a conflict on a merge that overlaps, gone for what is not there),
 * and on demand (`failNext`). Every call is written down (`calls`), and the webhooks GitHub would
 * send for the App's own writes wait in `echoes`. People's actions (`label`, `editComment`...)
 * change the model and return the webhook payload, built on GitHub's own examples.
 */
const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const WEB = `https://github.com/${OWNER}/${REPO}`;

export interface MemoryComment extends Comment {
  author: { login: string; bot: boolean };
}

export interface MemoryIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  comments: MemoryComment[];
  updatedAt: number;
  closedBy?: string | undefined;
  /** The issue's timeline of label and title events, oldest first. */
  events: MemoryIssueEvent[];
  /** When the body was last edited (GraphQL `lastEditedAt`). */
  lastEditedAt?: string | undefined;
}

export interface MemoryIssueEvent {
  event: 'labeled' | 'unlabeled' | 'renamed';
  label?: string | undefined;
  actor: string;
  /** ISO 8601, from the fake's own clock: every event a second after the one before. */
  at: string;
}

export interface MemoryRun {
  id: number;
  displayTitle: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  inputs: Record<string, string>;
  /** The uploaded artifacts (the agent job's, the publish job's): id, name and zip bytes. */
  artifacts: { id: number; name: string; zip: Uint8Array }[];
  /** The run's jobs, with their logs. */
  jobs: { id: number; name: string; conclusion: string | null; log: string }[];
}

/**
 * What the publish job records (`gantry-published.json`): by default what it did; a function
 * changes the record (a forged or refused one); `none` uploads none (an older task workflow).
 */
export type PublishAs = 'none' | ((record: Record<string, unknown>) => Record<string, unknown>);

export interface MemoryPull {
  number: number;
  nodeId: string;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  state: 'open' | 'closed';
  reviewers: string[];
}

/** A webhook GitHub sends because of something that happened. */
export interface Echo {
  name: string;
  payload: Record<string, unknown>;
}

export type Role = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
type Method = keyof GitHubPort;
/** The port's methods answering at once. */
type Sync<T> = {
  [K in keyof T]: T[K] extends (...a: infer A) => Promise<infer R> ? (...a: A) => R : never;
};

export const GANTRY_BOT = 'gantry[bot]';
/** The App's id: GitHub marks the comments an app writes with it. */
export const GANTRY_APP_ID = 4242;

/** Port methods that change GitHub. */
const WRITES = new Set<Method>([
  'createComment',
  'updateComment',
  'approveComment',
  'addLabels',
  'removeLabel',
  'createBranch',
  'updateBranch',
  'deleteBranch',
  'deleteBranches',
  'updateBranches',
  'merge',
  'dispatchWorkflow',
  'cancelRun',
  'createPull',
  'updatePullBody',
  'markPullReady',
  'requestReviewers',
]);

/** What GitHub answers with a status: the port's typed error, made as the Octokit port makes it. */
const refused = (status: number, message: string): Error =>
  asGitHubError(Object.assign(new Error(message), { status })) as Error;

export class MemoryGitHub {
  readonly owner = OWNER;
  readonly repo = REPO;
  /** `.github/gantry.yml` as text (undefined: no file). */
  config: string | undefined;
  files = new Set(['README.md', 'src/index.js', '.github/workflows/gantry-task.yml']);
  readonly issues = new Map<number, MemoryIssue>();
  readonly roles: Record<string, Role> = { octocat: 'admin', maint: 'maintain', dev: 'write' };
  /** Every port call with its arguments (the method is followed by the repository for another one). */
  readonly log: { method: string; args: unknown[] }[] = [];
  readonly reactions: { commentId: number; content: string }[] = [];
  /** Webhooks caused by the App's own writes (and CI), not yet delivered. */
  readonly echoes: Echo[] = [];
  readonly runs: MemoryRun[] = [];
  readonly pulls: MemoryPull[] = [];
  /** Answer dispatches with the run's id (GitHub since 2026-02) or without (older servers). */
  runDetails = true;
  /** List a second repository, before this one, whose issues cannot be read (410). */
  brokenRepo = false;
  /** Webhooks of these events are lost (GitHub does not redeliver). */
  readonly lose = new Set<string>();
  /** Git and CI. */
  readonly code = new MemoryGit((suite) => this.emitSuite(suite));
  private readonly failures: {
    method: Method;
    status: number;
    done: boolean;
    message?: string | undefined;
  }[] = [];
  private nextId = 9000;
  /** GitHub's clock for event times: a second passes between any two timed things. */
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private gate: Promise<void> | undefined;

  /** The port the App is given, every call of which is written down. */
  readonly port: GitHubPort;

  constructor() {
    this.addIssue({ number: 1, title: 'Add rate limiting to the API', body: 'Limit clients.' });
    const impl = this.impl();
    this.port = Object.fromEntries(
      (Object.keys(impl) as Method[]).map((method) => [
        method,
        async (...args: unknown[]) => {
          await this.gate;
          this.log.push({ method, args: structuredClone(args) });
          const failure = this.failures.findIndex((f) => f.method === method);
          const injected = failure >= 0 ? this.failures.splice(failure, 1)[0]! : undefined;
          if (injected && !injected.done)
            throw refused(injected.status, injected.message ?? `injected ${injected.status}`);
          // Copies both ways, as over HTTP: nobody keeps a reference into the other's data.
          const answer: unknown = (impl[method] as (...a: unknown[]) => unknown)(
            ...structuredClone(args),
          );
          // The answer is lost on the way back: GitHub did it, the App is told it failed.
          if (injected)
            throw refused(injected.status, `injected ${injected.status} after the call`);
          return answer === undefined ? undefined : structuredClone(answer);
        },
      ]),
    ) as unknown as GitHubPort;
  }

  /** The App's installations: this repository (after a broken one, when asked). */
  readonly app: GitHubApp = {
    installations: () =>
      Promise.resolve([
        {
          id: 1,
          repositories: () => {
            const repos = [{ repository: this.repository(), github: this.port }];
            if (this.brokenRepo) repos.unshift(this.broken());
            return Promise.resolve(repos);
          },
        },
      ]),
  };

  /** Hold every answer until the returned function is called (work in flight, for a test). */
  hold(): () => void {
    let release = () => {};
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /**
   * Fail the next call of a port method as GitHub would answer with this status, once; `done`:
   * GitHub carries the call out and only its answer is a failure (a timeout, a 502 on the way back);
   * `message`: GitHub's message (default: "injected <status>").
   */
  failNext(
    method: Method,
    status: number,
    { done = false, message }: { done?: boolean; message?: string } = {},
  ): void {
    this.failures.push({ method, status, done, message });
  }

  /** The time of the next timed thing on GitHub (an event, an edit). */
  stamp(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  /** Every port call's method, in order. */
  get calls(): string[] {
    return this.log.map((c) => c.method);
  }

  /** The arguments of every call of a method. */
  argsOf(method: Method): unknown[][] {
    return this.log.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Port calls that change GitHub. */
  writes(): string[] {
    return this.calls.filter((c) => WRITES.has(c as Method));
  }

  /** The default branch's head. */
  get head(): string {
    return this.code.defaultBranch.sha;
  }

  get refs(): Map<string, string> {
    return this.code.refs;
  }

  addIssue(i: Partial<MemoryIssue> & { number: number }): MemoryIssue {
    const issue: MemoryIssue = {
      title: `Issue ${i.number}`,
      body: '',
      state: 'open',
      labels: [],
      comments: [],
      updatedAt: 0,
      events: [],
      ...i,
    };
    this.issues.set(issue.number, issue);
    return issue;
  }

  issue(n = 1): MemoryIssue {
    const issue = this.issues.get(n);
    if (!issue) throw new Error(`no issue ${n}`);
    return issue;
  }

  /** Comments written by Gantry on an issue. */
  botComments(n = 1): MemoryComment[] {
    return this.issue(n).comments.filter((c) => c.appId === GANTRY_APP_ID);
  }

  comment(id: number): MemoryComment {
    for (const issue of this.issues.values()) {
      const c = issue.comments.find((x) => x.id === id);
      if (c) return c;
    }
    throw new Error(`no comment ${id}`);
  }

  private issueOf(commentId: number): number {
    for (const issue of this.issues.values())
      if (issue.comments.some((c) => c.id === commentId)) return issue.number;
    throw new Error(`no comment ${commentId}`);
  }

  repository(): Repository {
    return {
      owner: OWNER,
      name: REPO,
      fullName: `${OWNER}/${REPO}`,
      defaultBranch: this.code.defaultBranch.name,
      archived: false,
    };
  }

  /** A repository listed before this one whose issues are off (GitHub: 410). */
  private broken(): { repository: Repository; github: GitHubPort } {
    const gone = (method: string) => () => {
      this.log.push({ method: `${method} ${OWNER}/Broken`, args: [] });
      return Promise.reject(refused(410, 'Issues are disabled for this repo'));
    };
    const github = new Proxy({} as GitHubPort, {
      get: (_t, method: string) =>
        method === 'readConfig'
          ? () => {
              this.log.push({ method: `readConfig ${OWNER}/Broken`, args: [] });
              return Promise.resolve(undefined);
            }
          : gone(method),
    });
    return {
      repository: { ...this.repository(), name: 'Broken', fullName: `${OWNER}/Broken` },
      github,
    };
  }

  /** GitHub's answers; the port around them makes them asynchronous, as over the network. */
  private impl(): Sync<GitHubPort> {
    const notFound = () => refused(404, 'Not Found');
    const issueOrGone = (n: number) => {
      const issue = this.issues.get(n);
      if (!issue) throw notFound();
      return issue;
    };
    const run = (id: number) => {
      const r = this.runs.find((x) => x.id === id);
      if (!r) throw notFound();
      return r;
    };
    const pull = (n: number) => {
      const p = this.pulls.find((x) => x.number === n);
      if (!p) throw notFound();
      return p;
    };
    const pullValue = (p: MemoryPull): PullRequest => ({
      number: p.number,
      nodeId: p.nodeId,
      draft: p.draft,
    });
    const code = this.code;
    return {
      // Issues, comments and labels.
      getIssue: (n) => this.issueValue(issueOrGone(n)),
      listIssues: ({ state, labels, since }) =>
        [...this.issues.values()]
          .filter((i) => state === 'all' || i.state === state)
          .filter((i) => (labels?.split(',') ?? []).every((l) => i.labels.includes(l)))
          .filter((i) => since === undefined || i.updatedAt >= Date.parse(since))
          .map((i) => ({ ...this.issueValue(i), closedBy: undefined })),
      listComments: (n) => issueOrGone(n).comments,
      createComment: (n, body) => {
        const id = this.nextId++;
        const c: MemoryComment = {
          id,
          body,
          htmlUrl: `${WEB}/issues/${n}#issuecomment-${id}`,
          author: { login: GANTRY_BOT, bot: true },
          appId: GANTRY_APP_ID,
        };
        issueOrGone(n).comments.push(c);
        return c;
      },
      updateComment: (id, body) => {
        const c = this.comment(id);
        const from = c.body;
        c.body = body;
        const p = this.base('issue_comment', 'edited', GANTRY_BOT);
        p.changes = { body: { from } };
        p.comment = { ...(p.comment as object), ...commentJson(c) };
        this.echoes.push({ name: 'issue_comment', payload: this.withIssue(p, this.issueOf(id)) });
      },
      approveComment: (commentId) => {
        this.reactions.push({ commentId, content: '+1' });
      },
      addLabels: (n, labels) => {
        const issue = issueOrGone(n);
        for (const l of labels)
          if (!issue.labels.includes(l)) {
            issue.labels.push(l);
            issue.events.push({ event: 'labeled', label: l, actor: GANTRY_BOT, at: this.stamp() });
            const p = this.base('issues', 'labeled', GANTRY_BOT);
            p.label = { ...(p.label as object), name: l };
            this.echoes.push({ name: 'issues', payload: this.withIssue(p, n) });
          }
      },
      removeLabel: (n, name) => {
        const issue = issueOrGone(n);
        if (!issue.labels.includes(name)) throw refused(404, 'Label does not exist');
        issue.labels = issue.labels.filter((l) => l !== name);
        issue.events.push({ event: 'unlabeled', label: name, actor: GANTRY_BOT, at: this.stamp() });
        const p = this.base('issues', 'unlabeled', GANTRY_BOT);
        p.label = { ...(p.label as object), name };
        this.echoes.push({ name: 'issues', payload: this.withIssue(p, n) });
      },
      listIssueEvents: (n) =>
        issueOrGone(n).events.map((e) => ({
          event: e.event,
          label: e.label,
          actor: { login: e.actor, bot: e.actor.endsWith('[bot]') },
          at: e.at,
        })),
      issueEditedAt: (n) => issueOrGone(n).lastEditedAt,
      // Comments here have no GraphQL id, so their history is never asked for.
      commentHistory: () => undefined,

      // The repository.
      readConfig: () => {
        if (this.config === undefined) return undefined;
        // As Probot's reader: an empty file is no config; a file that is not YAML throws.
        return (parseYaml(this.config) as unknown) ?? undefined;
      },
      permission: (username) => {
        const role = this.roles[username] ?? 'none';
        const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
        return { permission, roleName: role };
      },
      hasFile: (path) => this.files.has(path),
      listFiles: () => ({ paths: [...this.files], truncated: false }),
      readReadme: () => '# Hello World',
      listLanguages: () => ({ TypeScript: 1200 }),

      // Git.
      branchSha: (branch) => {
        const sha = code.sha(branch);
        if (!sha) throw notFound();
        return sha;
      },
      createBranch: (branch, sha) => {
        if (code.sha(branch)) throw refused(422, 'Reference already exists');
        code.pushBranch(branch, sha);
      },
      updateBranch: (branch, to, { force }) => {
        const current = code.refs.get(branch);
        if (!current) throw refused(422, 'Reference does not exist');
        const fastForward = code.ancestors(to).has(current);
        if (!fastForward && code.refuseForcePush)
          throw refused(422, 'Cannot force-push to this branch (repository rule violations)');
        if (!force && !fastForward) throw refused(422, 'Update is not a fast forward');
        code.refs.set(branch, to);
      },
      deleteBranch: (branch) => {
        if (!code.refs.delete(branch)) throw refused(422, 'Reference does not exist');
      },
      // GraphQL `updateRefs`: all or nothing, refused with a GraphQL error (no status).
      deleteBranches: (branches) => {
        const missing = branches.find((b) => !code.refs.has(b));
        if (missing) throw new Error(`A ref to delete does not exist: refs/heads/${missing}`);
        for (const b of branches) code.refs.delete(b);
      },
      // GraphQL `updateRefs` with moves too: never forced, each from `from` when given.
      updateBranches: (updates) => {
        for (const { branch, sha, from } of updates) {
          const current = code.refs.get(branch);
          if (from !== undefined && current !== from)
            throw new Error(`refs/heads/${branch} is at ${current ?? 'nothing'}, not at ${from}`);
          if (sha === null && !current)
            throw new Error(`A ref to delete does not exist: refs/heads/${branch}`);
          if (sha !== null && current && !code.ancestors(sha).has(current))
            throw new Error(`Could not update refs/heads/${branch}: not a fast forward`);
        }
        for (const { branch, sha } of updates)
          if (sha === null) code.refs.delete(branch);
          else code.refs.set(branch, sha);
      },
      merge: ({ base, head }) => {
        if (!code.sha(base) || !code.resolve(head))
          throw refused(404, `${code.sha(base) ? 'Head' : 'Base'} does not exist`);
        const merged = code.merge(base, head);
        if (merged.kind === 'conflict') throw refused(409, 'Merge conflict');
        return merged.kind === 'merged' ? merged.sha : undefined;
      },
      compare: (base, head, maxFiles) => {
        const b = code.resolve(base);
        const h = code.resolve(head);
        if (!b || !h) throw notFound();
        const [ofBase, ofHead] = [code.ancestors(b), code.ancestors(h)];
        return {
          aheadBy: [...ofHead].filter((s) => !ofBase.has(s)).length,
          behindBy: [...ofBase].filter((s) => !ofHead.has(s)).length,
          files: [...code.changedSince(b, h)].slice(0, maxFiles),
        };
      },

      // Actions.
      listDispatchedRuns: () =>
        [...this.runs].reverse().map((r) => ({
          id: r.id,
          displayTitle: r.displayTitle,
          status: r.status,
          conclusion: r.conclusion,
        })),
      dispatchWorkflow: (_workflow, _ref, inputs) => {
        const r: MemoryRun = {
          id: 70_000 + this.runs.length,
          // The task workflow's run-name.
          displayTitle: `gantry #${inputs.goal} ${inputs.task_id} attempt ${inputs.attempt} [${inputs.distinct_id}]`,
          status: 'queued',
          conclusion: null,
          inputs,
          artifacts: [],
          jobs: [],
        };
        this.runs.push(r);
        if (!this.lose.has('workflow_run'))
          this.echoes.push({ name: 'workflow_run', payload: this.runPayload('requested', r) });
        return this.runDetails ? r.id : undefined;
      },
      getRun: (id) => {
        const r = run(id);
        return { id, displayTitle: r.displayTitle, status: r.status, conclusion: r.conclusion };
      },
      cancelRun: (id) => {
        const r = run(id);
        if (r.status === 'completed') throw refused(409, 'Cannot cancel a completed run');
        r.status = 'completed';
        r.conclusion = 'cancelled';
      },
      listRunArtifacts: (id, name) =>
        (this.runs.find((r) => r.id === id)?.artifacts ?? [])
          .filter((a) => name === undefined || a.name === name)
          .map((a) => ({ id: a.id, name: a.name, expired: false })),
      downloadArtifact: (id) => {
        const a = this.runs.flatMap((r) => r.artifacts).find((x) => x.id === id);
        if (!a) throw notFound();
        return a.zip;
      },
      listRunJobs: (id) =>
        run(id).jobs.map((j) => ({ id: j.id, name: j.name, conclusion: j.conclusion })),
      jobLog: (id) => {
        const log =
          code.checkRun(id)?.log ?? this.runs.flatMap((r) => r.jobs).find((j) => j.id === id)?.log;
        if (log === undefined) throw notFound();
        return log;
      },

      // Checks and statuses.
      ciReport: (sha) => {
        const known =
          code.resolve(sha) ?? code.suites.find((s) => s.sha === sha) ?? code.statuses.get(sha);
        if (!known) throw notFound();
        return {
          suites: code.suites
            .filter((s) => s.sha === sha)
            .map((s) => ({
              app: s.app,
              workflow: s.workflow,
              branch: s.branch,
              status: s.status,
              conclusion: s.conclusion,
              runCount: s.runs.length,
              runs: s.runs.map((r) => ({
                name: r.name,
                status: r.conclusion === null ? 'in_progress' : 'completed',
                conclusion: r.conclusion,
              })),
            })),
          statuses: code.statuses.get(sha) ?? [],
        };
      },
      listCheckRuns: (sha) =>
        code.suites
          .filter((s) => s.sha === sha)
          .flatMap((s) =>
            s.runs.map((r) => ({
              id: r.id,
              name: r.name,
              status: 'completed',
              conclusion: r.conclusion,
              summary: r.conclusion === 'failure' ? '1 test failed' : 'ok',
              app: s.app,
            })),
          ),
      listAnnotations: (id, max) => {
        const r = code.checkRun(id);
        if (!r) throw notFound();
        return r.annotations.slice(0, max);
      },

      // Pull requests.
      findOpenPull: (head) => {
        const p = this.pulls.find((x) => x.head === head && x.state === 'open');
        return p && pullValue(p);
      },
      createPull: (o) => {
        if (!code.refs.has(o.head)) throw refused(422, 'Validation Failed: head does not exist');
        if (this.pulls.some((p) => p.head === o.head && p.state === 'open'))
          throw refused(422, `A pull request already exists for ${o.head}.`);
        const number = 100 + this.pulls.length;
        const p: MemoryPull = {
          ...o,
          number,
          nodeId: `PR_node${number}`,
          state: 'open',
          reviewers: [],
        };
        this.pulls.push(p);
        return pullValue(p);
      },
      updatePullBody: (n, body) => {
        const p = pull(n);
        p.body = body;
        return pullValue(p);
      },
      markPullReady: ({ nodeId }) => {
        const p = this.pulls.find((x) => x.nodeId === nodeId);
        if (!p) throw new Error(`no pull request ${nodeId}`); // GraphQL's NOT_FOUND
        p.draft = false;
      },
      requestReviewers: (n, reviewers) => {
        pull(n).reviewers.push(...reviewers);
      },
    };
  }

  private issueValue(i: MemoryIssue): Issue {
    return {
      number: i.number,
      open: i.state === 'open',
      title: i.title,
      body: i.body,
      labels: [...i.labels],
      htmlUrl: `${WEB}/issues/${i.number}`,
      closedBy: i.closedBy ? { login: i.closedBy, bot: i.closedBy.endsWith('[bot]') } : undefined,
      isPullRequest: false,
    };
  }

  private emitSuite(s: MemorySuite): void {
    if (this.lose.has('check_suite')) return;
    const p = this.base('check_suite', 'completed', 'github-actions[bot]');
    p.check_suite = {
      ...(p.check_suite as object),
      id: s.id,
      head_sha: s.sha,
      head_branch: s.branch,
      status: s.status,
      conclusion: s.conclusion,
      app: ghApp(s.app.id, s.app.slug),
      latest_check_runs_count: s.runs.length,
    };
    this.echoes.push({ name: 'check_suite', payload: p });
  }

  /**
   * A task run ends: its artifact holds `result` (unless none is given); when the agent succeeded
   * the publish job pushes the task branch (if the agent changed something) and uploads its
   * record (`publish` changes it) next to a copy of the agent's result and patch (not with
   * `olderAction`, which predates that copy); GitHub sends `workflow_run.completed` (returned, so a
   * test can deliver it or lose it). The agent job's log is `agentLog`, its patch `patch`.
   */
  finishRun(
    runId: number,
    result: Record<string, unknown> | undefined,
    conclusion: 'success' | 'failure' | 'cancelled' = 'success',
    {
      publish,
      agentLog,
      olderAction = false,
      patch = '',
    }: { publish?: PublishAs; agentLog?: string; olderAction?: boolean; patch?: string } = {},
  ): Record<string, unknown> {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) throw new Error(`no run ${runId}`);
    run.status = 'completed';
    run.conclusion = conclusion;
    const { goal, task_id: taskId, attempt, base_sha: base, distinct_id } = run.inputs;
    const job = (name: string, ok: boolean, log: string) =>
      run.jobs.push({
        id: runId * 10 + run.jobs.length,
        name,
        conclusion: ok ? 'success' : 'failure',
        log,
      });
    const artifact = (name: string, files: Record<string, string>) =>
      run.artifacts.push({
        id: runId * 10 + run.artifacts.length,
        name,
        zip: zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))),
      });
    const agentFiles = { 'gantry-result.json': JSON.stringify(result), 'gantry.patch': patch };
    if (result) {
      job(
        'agent',
        result.status !== 'failure',
        agentLog ?? `gantry agent\n${String(result.reason)}`,
      );
      artifact(`gantry-${goal}-${taskId}-${attempt}`, agentFiles);
    }
    if (conclusion !== 'success' || result?.status !== 'success')
      return this.runPayload('completed', run);
    // The publish job.
    const files = (result.filesChanged ?? []) as string[];
    const branch = `gantry/${goal}/${taskId}/${attempt}`;
    const ids = {
      version: 1,
      goal: Number(goal),
      taskId,
      attempt: Number(attempt),
      distinctId: distinct_id,
    };
    const done = files.length
      ? {
          ...ids,
          outcome: 'published',
          branch,
          sha: this.code.pushTaskBranch(branch, base!, files, taskId!),
          parent: base,
          files,
        }
      : { ...ids, outcome: 'skipped', reason: 'the agent changed nothing' };
    if (publish === 'none') return this.runPayload('completed', run);
    const record = publish ? publish(done) : done;
    // A refused patch is not pushed.
    if (record.outcome !== 'published' && files.length) this.code.refs.delete(branch);
    job('publish', record.outcome !== 'refused', `gantry publish\n${JSON.stringify(record)}`);
    artifact(`gantry-publish-${goal}-${taskId}-${attempt}`, {
      ...(olderAction ? {} : agentFiles),
      'gantry-published.json': JSON.stringify(record),
    });
    return this.runPayload('completed', run);
  }

  /**
   * The `workflow_job.completed` webhook of a task run's job (`publish` by default), as it ended
   * or as `conclusion` says (what GitHub signed may differ from what the listing shows later).
   */
  jobPayload(runId: number, name = 'publish', conclusion?: string): Record<string, unknown> {
    const run = this.runs.find((r) => r.id === runId);
    const job = run?.jobs.find((j) => j.name === name);
    if (!run || !job) throw new Error(`no job ${name} in run ${runId}`);
    const p = this.base('workflow_job', 'completed', GANTRY_BOT);
    p.workflow_job = {
      ...(p.workflow_job as object),
      id: job.id,
      run_id: run.id,
      run_attempt: 1,
      name,
      status: 'completed',
      conclusion: conclusion ?? job.conclusion,
      workflow_name: 'gantry-task',
    };
    return p;
  }

  /** A `workflow_run` webhook about a task run. */
  private runPayload(action: 'requested' | 'completed', run: MemoryRun): Record<string, unknown> {
    const p = this.base('workflow_run', action, GANTRY_BOT);
    // The examples predate `display_title` and `path`, which GitHub sends today.
    p.workflow_run = {
      ...(p.workflow_run as object),
      id: run.id,
      display_title: run.displayTitle,
      path: '.github/workflows/gantry-task.yml',
      actor: ghUser(GANTRY_BOT),
      triggering_actor: ghUser(GANTRY_BOT),
      status: run.status,
      conclusion: run.conclusion,
    };
    return p;
  }

  // Webhook payloads: GitHub's own examples, changed to describe what happened here.

  private base(event: string, action: string, sender: string) {
    const p = examplePayload<Record<string, unknown>>(event, action);
    Object.assign(p.repository as object, {
      name: REPO,
      full_name: `${OWNER}/${REPO}`,
      owner: ghUser(OWNER),
      default_branch: this.code.defaultBranch.name,
      archived: false,
    });
    p.sender = {
      ...(p.sender as object),
      login: sender,
      type: sender.endsWith('[bot]') ? 'Bot' : 'User',
    };
    return p;
  }

  private withIssue(p: Record<string, unknown>, n: number) {
    const i = this.issue(n);
    Object.assign(p.issue as object, {
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      labels: i.labels.map(ghLabel),
      active_lock_reason: null,
      reactions: reactions(i.number),
      html_url: `${WEB}/issues/${i.number}`,
      closed_by: i.closedBy ? ghUser(i.closedBy) : null,
      pull_request: undefined,
    });
    return p;
  }

  /** A person adds a label. */
  label(name: string, sender = 'octocat', n = 1) {
    const issue = this.issue(n);
    if (!issue.labels.includes(name)) issue.labels.push(name);
    issue.events.push({ event: 'labeled', label: name, actor: sender, at: this.stamp() });
    const p = this.base('issues', 'labeled', sender);
    p.label = { ...(p.label as object), name };
    return this.withIssue(p, n);
  }

  /** A person removes a label. */
  unlabel(name: string, sender = 'octocat', n = 1) {
    const issue = this.issue(n);
    issue.labels = issue.labels.filter((l) => l !== name);
    issue.events.push({ event: 'unlabeled', label: name, actor: sender, at: this.stamp() });
    const p = this.base('issues', 'unlabeled', sender);
    p.label = { ...(p.label as object), name };
    return this.withIssue(p, n);
  }

  /** A person closes the issue (the examples have no `closed`: derived from `edited`). */
  close(sender = 'octocat', n = 1) {
    this.issue(n).state = 'closed';
    this.issue(n).closedBy = sender;
    const p = this.base('issues', 'edited', sender);
    p.action = 'closed';
    delete p.changes;
    return this.withIssue(p, n);
  }

  /** A person edits the issue body. */
  editIssue(body: string, sender = 'octocat', n = 1) {
    const issue = this.issue(n);
    const from = issue.body;
    issue.body = body;
    issue.lastEditedAt = this.stamp();
    const p = this.base('issues', 'edited', sender);
    p.changes = { body: { from } };
    return this.withIssue(p, n);
  }

  /** A person changes the issue's title (GitHub records a `renamed` event). */
  retitle(title: string, sender = 'octocat', n = 1) {
    const issue = this.issue(n);
    const from = issue.title;
    issue.title = title;
    issue.events.push({ event: 'renamed', actor: sender, at: this.stamp() });
    const p = this.base('issues', 'edited', sender);
    p.changes = { title: { from } };
    return this.withIssue(p, n);
  }

  /** Someone edits a comment (ticks, text, or the hidden state). */
  editComment(id: number, edit: (body: string) => string, sender = 'octocat', n = 1) {
    const c = this.comment(id);
    const from = c.body;
    c.body = edit(from);
    const p = this.base('issue_comment', 'edited', sender);
    p.changes = { body: { from } };
    p.comment = { ...(p.comment as object), ...commentJson(c) };
    return this.withIssue(p, n);
  }

  /**
   * Someone pushes a new `.github/gantry.yml` (undefined: deletes it) to the default branch;
   * returns the `push` webhook's payload.
   */
  pushConfig(text: string | undefined, sender = 'octocat') {
    const existed = this.config !== undefined;
    this.config = text;
    const p = examplePayload<Record<string, unknown>>('push', undefined as unknown as string);
    Object.assign(p.repository as object, {
      name: REPO,
      full_name: `${OWNER}/${REPO}`,
      owner: { ...(p.repository as { owner: object }).owner, login: OWNER, name: OWNER },
      default_branch: this.code.defaultBranch.name,
      // Required by GitHub's schema of push payloads; the example predates them.
      has_discussions: false,
      topics: [],
      visibility: 'public',
    });
    const file = '.github/gantry.yml';
    const commit = {
      ...(p.head_commit as object),
      added: existed || text === undefined ? [] : [file],
      removed: text === undefined ? [file] : [],
      modified: existed && text !== undefined ? [file] : [],
    };
    Object.assign(p, {
      ref: `refs/heads/${this.code.defaultBranch.name}`,
      base_ref: null,
      created: false,
      deleted: false,
      forced: false,
      commits: [commit],
      head_commit: commit,
      sender: { ...(p.sender as object), login: sender },
    });
    return p;
  }

  /** Someone comments. */
  addComment(body: string, sender = 'octocat', n = 1) {
    const id = this.nextId++;
    const bot = sender.endsWith('[bot]');
    const c: MemoryComment = {
      id,
      body,
      htmlUrl: `${WEB}/issues/${n}#issuecomment-${id}`,
      author: { login: sender, bot },
      appId: bot ? 7 : undefined,
    };
    this.issue(n).comments.push(c);
    const p = this.base('issue_comment', 'created', sender);
    p.comment = { ...(p.comment as object), ...commentJson(c) };
    return { payload: this.withIssue(p, n), comment: c };
  }
}

/** A comment as webhooks carry it. */
function commentJson(c: MemoryComment) {
  return {
    id: c.id,
    body: c.body,
    html_url: c.htmlUrl,
    user: ghUser(c.author.login),
    performed_via_github_app:
      c.appId === undefined ? null : ghApp(c.appId, c.appId === GANTRY_APP_ID ? 'gantry' : 'other'),
    reactions: reactions(c.id),
  };
}
