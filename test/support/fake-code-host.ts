import { ghApp } from './github-objects.js';
/**
 * The git, pull request and CI side of the test GitHub: commits with the paths they change, refs,
 * the merges API (201 / 204 / 409 by real ancestry and overlapping paths), compare, pull
 * requests, GraphQL's ready-for-review, and CI that judges every sha the App pushes, with check
 * suites, check runs, annotations, job logs and commit statuses.
 */

export interface FakeCommit {
  parents: string[];
  /** Paths this commit changes (a merge commit changes none of its own). */
  files: string[];
  /** The task whose branch this commit is, for CI verdicts by content. */
  task?: string | undefined;
}

export interface FakePull {
  number: number;
  node_id: string;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  state: 'open' | 'closed';
  reviewers: string[];
}

export interface FakeSuite {
  id: number;
  sha: string;
  branch: string;
  app: { id: number; slug: string; name: string };
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  runs: {
    id: number;
    name: string;
    conclusion: string | null;
    annotations: { path: string; start_line: number; message: string }[];
    log: string;
  }[];
}

export type Answer = [number, unknown, Record<string, string>?];

const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions' };
/** An app installed on the repository that gets a suite on every push but never runs anything. */
const IDLE_APP = { id: 777, slug: 'idle-checks', name: 'Idle Checks' };

export class FakeCodeHost {
  readonly commits = new Map<string, FakeCommit>();
  readonly pulls: FakePull[] = [];
  readonly suites: FakeSuite[] = [];
  /** Commit statuses per sha. */
  readonly statuses = new Map<string, { context: string; state: string; description: string }[]>();
  /** Every sha CI was asked to judge, in order. */
  readonly judged: string[] = [];
  /**
   * CI's answer for a pushed sha, from the tasks it contains: a conclusion, or `none` for a
   * repository without CI. Default: every check passes.
   */
  ci: (sha: string, tasks: readonly string[]) => 'success' | 'failure' | 'none' | 'running' = () =>
    'success';
  /** A ruleset forbids force pushes to every branch (GitHub answers 422). */
  refuseForcePush = false;
  private shas = 0;
  private ids = 500;

  constructor(
    private readonly refs: Map<string, string>,
    private readonly defaultBranch: () => { name: string; sha: string },
    /** Queue the webhook GitHub would send. */
    private readonly emit: (name: string, action: string | undefined, patch: object) => void,
  ) {}

  newSha(): string {
    return (++this.shas).toString(16).padStart(8, '0').padEnd(40, 'c');
  }

  /** The sha a branch points at. */
  sha(branch: string): string | undefined {
    const d = this.defaultBranch();
    return branch === d.name ? d.sha : this.refs.get(branch);
  }

  /** The Action's publish job pushes the task branch: one commit on its base. */
  pushTaskBranch(branch: string, base: string, files: string[], task: string): string {
    const sha = this.newSha();
    this.commits.set(sha, { parents: [base], files, task });
    this.refs.set(branch, sha);
    return sha;
  }

  private ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const todo = [sha];
    while (todo.length) {
      const s = todo.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      todo.push(...(this.commits.get(s)?.parents ?? []));
    }
    return seen;
  }

  /** Paths changed on `head` since it parted from `base`. */
  private changedSince(base: string, head: string): Set<string> {
    const known = this.ancestors(base);
    const files = new Set<string>();
    for (const s of this.ancestors(head))
      if (!known.has(s)) for (const f of this.commits.get(s)?.files ?? []) files.add(f);
    return files;
  }

  /** Tasks whose commits a sha contains. */
  tasksIn(sha: string): string[] {
    return [...this.ancestors(sha)].flatMap((s) => this.commits.get(s)?.task ?? []).sort();
  }

  route(
    method: string,
    rest: string,
    body: Record<string, unknown> | undefined,
    url: URL,
  ): Answer | undefined {
    let m: RegExpExecArray | null;
    if (method === 'POST' && rest === '/merges')
      return this.merge(String(body?.base), String(body?.head));
    if (method === 'GET' && (m = /^\/git\/ref\/heads\/(.+)$/.exec(rest))) {
      const sha = this.sha(m[1]!);
      return sha
        ? [200, { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } }]
        : [404, { message: 'Not Found' }];
    }
    if (method === 'PATCH' && (m = /^\/git\/refs\/heads\/(.+)$/.exec(rest))) {
      const current = this.refs.get(m[1]!);
      if (!current) return [422, { message: 'Reference does not exist' }];
      const to = String(body?.sha);
      const fastForward = this.ancestors(to).has(current);
      if (!fastForward && this.refuseForcePush)
        return [422, { message: 'Cannot force-push to this branch (repository rule violations)' }];
      if (!body?.force && !fastForward) return [422, { message: 'Update is not a fast forward' }];
      this.refs.set(m[1]!, to);
      return [200, { ref: `refs/heads/${m[1]}`, object: { sha: to, type: 'commit' } }];
    }
    if (method === 'GET' && (m = /^\/compare\/(.+)\.\.\.(.+)$/.exec(rest))) {
      const base = this.sha(m[1]!) ?? m[1]!;
      const head = this.sha(m[2]!) ?? m[2]!;
      const files = [...this.changedSince(base, head)].map((filename) => ({ filename }));
      const known = this.ancestors(base);
      const ahead = [...this.ancestors(head)].filter((s) => !known.has(s)).length;
      const behind = [...known].filter((s) => !this.ancestors(head).has(s)).length;
      const status =
        ahead && behind ? 'diverged' : ahead ? 'ahead' : behind ? 'behind' : 'identical';
      return [200, { status, ahead_by: ahead, behind_by: behind, files }];
    }
    if (rest === '/pulls' || rest.startsWith('/pulls/'))
      return this.pullRoute(method, rest, body, url);
    if (method === 'GET' && (m = /^\/commits\/([0-9a-f]{40})\/check-suites$/.exec(rest))) {
      const list = this.suites.filter((s) => s.sha === m![1]);
      return [200, { total_count: list.length, check_suites: list.map((s) => this.suiteJson(s)) }];
    }
    if (method === 'GET' && (m = /^\/commits\/([0-9a-f]{40})\/check-runs$/.exec(rest))) {
      const runs = this.suites
        .filter((s) => s.sha === m![1])
        .flatMap((s) => s.runs.map((r) => this.runJson(s, r)));
      return [200, { total_count: runs.length, check_runs: runs }];
    }
    if (method === 'GET' && (m = /^\/commits\/([0-9a-f]{40})\/status$/.exec(rest))) {
      const statuses = this.statuses.get(m[1]!) ?? [];
      const state = statuses.some((s) => s.state !== 'success')
        ? statuses.some((s) => s.state === 'pending')
          ? 'pending'
          : 'failure'
        : 'success';
      return [200, { sha: m[1], state, total_count: statuses.length, statuses }];
    }
    if (method === 'GET' && (m = /^\/check-runs\/(\d+)\/annotations$/.exec(rest))) {
      const run = this.suites.flatMap((s) => s.runs).find((r) => r.id === Number(m![1]));
      return run ? [200, run.annotations] : [404, { message: 'Not Found' }];
    }
    if (method === 'GET' && (m = /^\/actions\/jobs\/(\d+)\/logs$/.exec(rest))) {
      const run = this.suites.flatMap((s) => s.runs).find((r) => r.id === Number(m![1]));
      return run
        ? [302, '', { location: `https://api.github.com/_blobs/job-${run.id}.log` }]
        : [404, { message: 'Not Found' }];
    }
    return undefined;
  }

  /** A job log behind its redirect. */
  blob(path: string): Answer | undefined {
    const m = /^\/_blobs\/job-(\d+)\.log$/.exec(path);
    if (!m) return undefined;
    const run = this.suites.flatMap((s) => s.runs).find((r) => r.id === Number(m[1]));
    return run ? [200, run.log, { 'content-type': 'text/plain' }] : [404, ''];
  }

  private merge(base: string, head: string): Answer {
    const baseSha = this.sha(base);
    const headSha = this.sha(head);
    if (!baseSha || !headSha)
      return [404, { message: `${baseSha ? 'Head' : 'Base'} does not exist` }];
    if (this.ancestors(baseSha).has(headSha)) return [204, ''];
    const ours = this.changedSince(headSha, baseSha);
    if ([...this.changedSince(baseSha, headSha)].some((f) => ours.has(f)))
      return [409, { message: 'Merge conflict' }];
    const sha = this.newSha();
    this.commits.set(sha, { parents: [baseSha, headSha], files: [] });
    this.refs.set(base, sha);
    this.runCi(sha, base);
    return [201, { sha, commit: { message: `Merge ${head} into ${base}` } }];
  }

  /** CI on a push made by the App: a suite per app, as GitHub makes them, and its webhooks. */
  runCi(sha: string, branch: string): void {
    this.judged.push(sha);
    this.suites.push({
      id: this.ids++,
      sha,
      branch,
      app: IDLE_APP,
      status: 'queued',
      conclusion: null,
      runs: [],
    });
    const answer = this.ci(sha, this.tasksIn(sha));
    if (answer === 'none') return;
    const failed = answer === 'failure';
    const running = answer === 'running';
    const suite: FakeSuite = {
      id: this.ids++,
      sha,
      branch,
      app: ACTIONS_APP,
      status: running ? 'in_progress' : 'completed',
      conclusion: running ? null : answer,
      runs: [
        {
          id: this.ids++,
          name: 'test',
          conclusion: running ? null : answer,
          annotations: failed
            ? [
                {
                  path: 'test/greet.test.ts',
                  start_line: 3,
                  message: 'expected "hi" to be "hello"',
                },
              ]
            : [],
          log: failed
            ? 'npm test\nFAIL test/greet.test.ts > greets\nTests: 1 failed'
            : 'npm test\nok',
        },
      ],
    };
    this.suites.push(suite);
    if (!running) this.emit('check_suite', 'completed', { check_suite: this.suiteJson(suite) });
  }

  /** CI still running on a sha finishes now; GitHub sends `check_suite.completed`. */
  finishCi(sha: string, conclusion: 'success' | 'failure'): void {
    for (const s of this.suites.filter((x) => x.sha === sha && x.status === 'in_progress')) {
      s.status = 'completed';
      s.conclusion = conclusion;
      for (const r of s.runs) r.conclusion = conclusion;
      this.emit('check_suite', 'completed', { check_suite: this.suiteJson(s) });
    }
  }

  private suiteJson(s: FakeSuite) {
    return {
      id: s.id,
      head_sha: s.sha,
      head_branch: s.branch,
      status: s.status,
      conclusion: s.conclusion,
      app: ghApp(s.app.id, s.app.slug),
      latest_check_runs_count: s.runs.length,
    };
  }

  private runJson(s: FakeSuite, r: FakeSuite['runs'][number]) {
    return {
      id: r.id,
      name: r.name,
      head_sha: s.sha,
      status: 'completed',
      conclusion: r.conclusion,
      app: ghApp(s.app.id, s.app.slug),
      check_suite: { id: s.id },
      output: {
        title: r.name,
        summary: r.conclusion === 'failure' ? '1 test failed' : 'ok',
        annotations_count: r.annotations.length,
      },
    };
  }

  private pullRoute(
    method: string,
    rest: string,
    body: Record<string, unknown> | undefined,
    url: URL,
  ): Answer | undefined {
    let m: RegExpExecArray | null;
    if (method === 'GET' && rest === '/pulls') {
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      return [
        200,
        this.pulls
          .filter(
            (p) => (!head || head.endsWith(`:${p.head}`)) && (state === 'all' || p.state === state),
          )
          .map((p) => this.pullJson(p)),
      ];
    }
    if (method === 'POST' && rest === '/pulls') {
      const head = String(body?.head);
      if (!this.refs.has(head)) return [422, { message: 'Validation Failed: head does not exist' }];
      if (this.pulls.some((p) => p.head === head && p.state === 'open'))
        return [422, { message: `A pull request already exists for ${head}.` }];
      const number = 100 + this.pulls.length;
      const pr: FakePull = {
        number,
        node_id: `PR_node${number}`,
        head,
        base: String(body?.base),
        title: String(body?.title),
        body: typeof body?.body === 'string' ? body.body : '',
        draft: body?.draft === true,
        state: 'open',
        reviewers: [],
      };
      this.pulls.push(pr);
      const { head: _h, base: _b, ...fields } = this.pullJson(pr); // the example's head and base stay
      this.emit('pull_request', 'opened', { number, pull_request: fields });
      return [201, this.pullJson(pr)];
    }
    if ((m = /^\/pulls\/(\d+)(\/requested_reviewers)?$/.exec(rest))) {
      const pr = this.pulls.find((p) => p.number === Number(m![1]));
      if (!pr) return [404, { message: 'Not Found' }];
      if (method === 'PATCH' && !m[2]) {
        if (typeof body?.body === 'string') pr.body = body.body;
        return [200, this.pullJson(pr)];
      }
      if (method === 'POST' && m[2]) {
        pr.reviewers.push(...((body?.reviewers as string[]) ?? []));
        return [201, this.pullJson(pr)];
      }
      if (method === 'GET' && !m[2]) return [200, this.pullJson(pr)];
    }
    return undefined;
  }

  /** GraphQL: only the ready-for-review mutation the App uses. */
  graphql(body: Record<string, unknown> | undefined): Answer | undefined {
    const query = typeof body?.query === 'string' ? body.query : '';
    if (!query.includes('markPullRequestReadyForReview')) return undefined;
    const id = (body?.variables as { id?: string } | undefined)?.id;
    const pr = this.pulls.find((p) => p.node_id === id);
    if (!pr)
      return [
        200,
        { data: null, errors: [{ type: 'NOT_FOUND', message: `no pull request ${id}` }] },
      ];
    pr.draft = false;
    return [200, { data: { markPullRequestReadyForReview: { pullRequest: { isDraft: false } } } }];
  }

  private pullJson(p: FakePull) {
    return {
      number: p.number,
      node_id: p.node_id,
      title: p.title,
      body: p.body,
      draft: p.draft,
      state: p.state,
      auto_merge: null,
      head: { ref: p.head, sha: this.sha(p.head) },
      base: { ref: p.base },
      html_url: `https://github.com/Codertocat/Hello-World/pull/${p.number}`,
      requested_reviewers: p.reviewers.map((login) => ({ login })),
    };
  }
}
