import { strToU8, zipSync } from 'fflate';
import nock from 'nock';
import { OpenApi } from '../../src/standin/openapi.js';
import { FakeCodeHost } from './fake-code-host.js';
import { ghApp, ghLabel, ghUser, reactions } from './github-objects.js';
import { examplePayload } from './probot.js';

/**
 * A small stateful GitHub for the App's tests, behind nock: one repository with issues, comments,
 * labels, collaborators and a default branch. It answers only the routes the App uses, in
 * GitHub's shapes; anything else is answered 404 and recorded in `unknown`, which tests assert is
 * empty. (The full stand-in with OpenAPI validation is `src/standin`.)
 */
export const API = 'https://api.github.com';
const OWNER = 'Codertocat';
const REPO = 'Hello-World';

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: 'User' | 'Bot'; id?: number };
  html_url: string;
  performed_via_github_app?: ({ id: number; slug: string } & Record<string, unknown>) | null;
  reactions?: Record<string, unknown>;
}

/** A webhook GitHub sends because of a write the App made. */
export interface Echo {
  name: string;
  payload: Record<string, unknown>;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  comments: FakeComment[];
  updatedAt: number;
  closedBy?: string | undefined;
  /** The issue's timeline of label events. */
  events: { event: 'labeled' | 'unlabeled'; label: { name: string }; actor: string }[];
}

export type Role = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export const GANTRY_BOT = { login: 'gantry[bot]', type: 'Bot' as const };
/** The App's id: GitHub marks the comments an app writes with it. */
export const GANTRY_APP_ID = 4242;

export class FakeGitHub {
  readonly owner = OWNER;
  readonly repo = REPO;
  config: string | undefined;
  files = new Set(['README.md', 'src/index.js', '.github/workflows/gantry-task.yml']);
  head = 'a1'.repeat(20);
  readonly issues = new Map<number, FakeIssue>();
  readonly roles: Record<string, Role> = { octocat: 'admin', maint: 'maintain', dev: 'write' };
  /** Every request, as `METHOD /path`. */
  readonly requests: string[] = [];
  /** Requests the fake does not know: a test fails when there are any. */
  readonly unknown: string[] = [];
  /** Requests and webhooks that GitHub's OpenAPI description refuses: a test fails on any. */
  readonly invalid: string[] = [];
  readonly reactions: { commentId: number; content: string }[] = [];
  /** Webhooks caused by the App's own writes, not yet delivered. */
  readonly echoes: Echo[] = [];
  private readonly failures: { request: string; status: number }[] = [];
  /** Branches other than the default one: name -> sha. */
  readonly refs = new Map<string, string>();
  /** Task workflow runs, newest last. */
  readonly runs: {
    id: number;
    display_title: string;
    status: 'queued' | 'in_progress' | 'completed';
    conclusion: string | null;
    inputs: Record<string, string>;
    /** The uploaded artifact: its name and zip bytes. */
    artifact?: { name: string; zip: Uint8Array } | undefined;
  }[] = [];
  /** Answer dispatches with the run's id (GitHub since 2026-02) or 204 (older servers). */
  runDetails = true;
  /** List a second repository, before this one, that a sweep cannot read. */
  brokenRepo = false;
  /** Webhooks of these events are lost (GitHub does not redeliver). */
  readonly lose = new Set<string>();
  /** Git, pull requests and CI. */
  readonly code = new FakeCodeHost(
    this.refs,
    () => ({ name: 'master', sha: this.head }),
    (name, action, patch) => {
      if (this.lose.has(name)) return;
      const p = this.base(name, action, 'github-actions[bot]');
      // GitHub's example, with what happened here over it (one level deep).
      for (const [k, v] of Object.entries(patch))
        p[k] = isObject(p[k]) && isObject(v) ? { ...p[k], ...v } : v;
      this.echoes.push({ name, payload: p });
    },
  );

  /** Answer the next request `METHOD /path` with an error status, once. */
  failNext(request: string, status: number): void {
    this.failures.push({ request, status });
  }
  private nextId = 9000;

  constructor() {
    this.addIssue({ number: 1, title: 'Add rate limiting to the API', body: 'Limit clients.' });
  }

  addIssue(i: Partial<FakeIssue> & { number: number }): FakeIssue {
    const issue: FakeIssue = {
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

  issue(n = 1): FakeIssue {
    const issue = this.issues.get(n);
    if (!issue) throw new Error(`no issue ${n}`);
    return issue;
  }

  /** Comments written by Gantry on an issue. */
  botComments(n = 1): FakeComment[] {
    return this.issue(n).comments.filter((c) => c.performed_via_github_app?.id === GANTRY_APP_ID);
  }

  /** Writes (POST, PATCH, PUT, DELETE) the App made. */
  writes(): string[] {
    return this.requests.filter((r) => !r.startsWith('GET '));
  }

  install(): void {
    for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'])
      nock(API)
        .persist()
        .intercept(/.*/, method)
        // nock 15 hands a one-parameter reply function the fetch Request.
        .reply(async (request: unknown) => {
          const req = request as Request;
          const text = await req.text();
          const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          const url = new URL(req.url);
          const line = `${method} ${decodeURIComponent(url.pathname)}`;
          this.requests.push(line);
          if (!url.pathname.startsWith('/_blobs/') && url.pathname !== '/graphql') {
            const check = openApi().checkRequest(method, url, body);
            if (!check.ok) {
              this.invalid.push(
                `${method} ${url.pathname}${url.search}: ${check.problems.join('; ')}`,
              );
              return [check.status, { message: check.problems.join('; ') }];
            }
          }
          const failure = this.failures.findIndex((f) => f.request === line);
          if (failure >= 0) {
            const status = this.failures.splice(failure, 1)[0]!.status;
            return [status, { message: `injected ${status}` }];
          }
          const answer = this.route(method, url, body);
          if (answer) return answer;
          this.unknown.push(`${method} ${url.pathname}${url.search}`);
          return [404, { message: 'Not Found' }];
        });
  }

  private issueOf(commentId: number): number {
    for (const issue of this.issues.values())
      if (issue.comments.some((c) => c.id === commentId)) return issue.number;
    throw new Error(`no comment ${commentId}`);
  }

  comment(id: number): FakeComment {
    for (const issue of this.issues.values()) {
      const c = issue.comments.find((x) => x.id === id);
      if (c) return c;
    }
    throw new Error(`no comment ${id}`);
  }

  /**
   * A task run ends: its artifact holds `result` (unless none is given) and GitHub sends
   * `workflow_run.completed` (returned, so a test can deliver it or lose it).
   */
  finishRun(
    runId: number,
    result: Record<string, unknown> | undefined,
    conclusion: 'success' | 'failure' | 'cancelled' = 'success',
  ): Record<string, unknown> {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) throw new Error(`no run ${runId}`);
    run.status = 'completed';
    run.conclusion = conclusion;
    const { goal, task_id: taskId, attempt, base_sha: base } = run.inputs;
    // The publish job pushes the task branch when the agent succeeded and changed something.
    const files = (result?.filesChanged ?? []) as string[];
    if (conclusion === 'success' && result?.status === 'success' && files.length)
      this.code.pushTaskBranch(`gantry/${goal}/${taskId}/${attempt}`, base!, files, taskId!);
    if (result)
      run.artifact = {
        name: `gantry-${goal}-${taskId}-${attempt}`,
        zip: zipSync({
          'gantry-result.json': strToU8(JSON.stringify(result)),
          'gantry.patch': strToU8(''),
        }),
      };
    return this.runPayload('completed', run);
  }

  /** A `workflow_run` webhook about a task run. */
  private runPayload(
    action: 'requested' | 'completed',
    run: { id: number; display_title: string; status: string; conclusion: string | null },
  ): Record<string, unknown> {
    const p = this.base('workflow_run', action, GANTRY_BOT.login);
    // The examples predate `display_title` and `path`, which GitHub sends today.
    p.workflow_run = {
      ...(p.workflow_run as object),
      id: run.id,
      display_title: run.display_title,
      path: '.github/workflows/gantry-task.yml',
      // Newer than the examples; GitHub sends them today.
      actor: ghUser(GANTRY_BOT.login),
      triggering_actor: ghUser(GANTRY_BOT.login),
      status: run.status,
      conclusion: run.conclusion,
    };
    return p;
  }

  private route(
    method: string,
    url: URL,
    body: Record<string, unknown> | undefined,
  ): [number, unknown, Record<string, string>?] | undefined {
    const path = decodeURIComponent(url.pathname);
    const repoPath = `/repos/${OWNER}/${REPO}`;
    if (method === 'GET' && path === '/app/installations')
      return [200, [{ id: 1, account: { login: OWNER } }]];
    if (method === 'GET' && path === '/installation/repositories') {
      const repos = [this.repository()];
      if (this.brokenRepo)
        repos.unshift({ ...this.repository(), name: 'Broken', full_name: `${OWNER}/Broken` });
      return [200, { total_count: repos.length, repositories: repos }];
    }
    // A repository listed first whose issues cannot be read (GitHub: 410 when issues are off).
    if (this.brokenRepo && path.startsWith(`/repos/${OWNER}/Broken/`))
      return path.includes('/contents/')
        ? [404, { message: 'Not Found' }]
        : [410, { message: 'Issues are disabled for this repo' }];
    if (method === 'GET' && path === `/repos/${OWNER}/.github/contents/.github/gantry.yml`)
      return [404, { message: 'Not Found' }];
    if (method === 'POST' && path === '/graphql') return this.code.graphql(body);
    const log = this.code.blob(path);
    if (method === 'GET' && log) return log;
    const blob = /^\/_blobs\/artifact-(\d+)\.zip$/.exec(path);
    if (method === 'GET' && blob) {
      const zip = this.runs.find((r) => r.id === Number(blob[1]))?.artifact?.zip;
      return zip ? [200, Buffer.from(zip), { 'content-type': 'application/zip' }] : [404, ''];
    }
    if (!path.startsWith(`${repoPath}/`)) return undefined;
    const rest = path.slice(repoPath.length);
    let m: RegExpExecArray | null;
    if (method === 'GET' && rest === '/contents/.github/gantry.yml')
      return this.config === undefined ? [404, { message: 'Not Found' }] : [200, this.config];
    if (method === 'GET' && (m = /^\/contents\/(.+)$/.exec(rest)))
      return this.files.has(m[1]!)
        ? [200, { type: 'file', path: m[1], sha: 'f'.repeat(40), content: '' }]
        : [404, { message: 'Not Found' }];
    if (method === 'POST' && rest === '/git/refs' && typeof body?.ref === 'string') {
      const name = body.ref.replace(/^refs\/heads\//, '');
      if (this.refs.has(name)) return [422, { message: 'Reference already exists' }];
      this.refs.set(name, String(body.sha));
      return [201, { ref: body.ref, object: { sha: body.sha, type: 'commit' } }];
    }
    if (method === 'GET' && rest === '/actions/workflows/gantry-task.yml/runs')
      return [
        200,
        {
          total_count: this.runs.length,
          workflow_runs: [...this.runs].reverse().map((r) => ({
            id: r.id,
            display_title: r.display_title,
            status: r.status,
            conclusion: r.conclusion,
          })),
        },
      ];
    if (method === 'POST' && rest === '/actions/workflows/gantry-task.yml/dispatches') {
      const inputs = (body?.inputs ?? {}) as Record<string, string>;
      const run = {
        id: 70_000 + this.runs.length,
        // The task workflow's run-name.
        display_title: `gantry #${inputs.goal} ${inputs.task_id} attempt ${inputs.attempt} [${inputs.distinct_id}]`,
        status: 'queued' as const,
        conclusion: null,
        inputs,
      };
      this.runs.push(run);
      if (!this.lose.has('workflow_run'))
        this.echoes.push({ name: 'workflow_run', payload: this.runPayload('requested', run) });
      if (!this.runDetails) return [204, ''];
      const url = `https://api.github.com/repos/${OWNER}/${REPO}/actions/runs/${run.id}`;
      return [
        200,
        {
          workflow_run_id: run.id,
          run_url: url,
          html_url: `https://github.com/${OWNER}/${REPO}/actions/runs/${run.id}`,
        },
      ];
    }
    if (method === 'GET' && (m = /^\/actions\/runs\/(\d+)$/.exec(rest))) {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      return run
        ? [
            200,
            {
              id: run.id,
              display_title: run.display_title,
              status: run.status,
              conclusion: run.conclusion,
            },
          ]
        : [404, { message: 'Not Found' }];
    }
    if (method === 'GET' && (m = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(rest))) {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      const name = url.searchParams.get('name');
      const list =
        run?.artifact && (!name || name === run.artifact.name)
          ? [
              {
                id: run.id,
                name: run.artifact.name,
                expired: false,
                size_in_bytes: run.artifact.zip.length,
              },
            ]
          : [];
      return [200, { total_count: list.length, artifacts: list }];
    }
    if (method === 'GET' && (m = /^\/actions\/artifacts\/(\d+)\/zip$/.exec(rest))) {
      // GitHub answers with a redirect to short-lived blob storage.
      return [302, '', { location: `${API}/_blobs/artifact-${m[1]}.zip` }];
    }
    if (method === 'POST' && (m = /^\/actions\/runs\/(\d+)\/cancel$/.exec(rest))) {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      if (!run) return [404, { message: 'Not Found' }];
      if (run.status === 'completed') return [409, { message: 'Cannot cancel a completed run' }];
      run.status = 'completed';
      run.conclusion = 'cancelled';
      return [202, {}];
    }
    const code = this.code.route(method, rest, body, url);
    if (code) return code;
    if (method === 'GET' && rest === '/git/trees/master')
      return [
        200,
        {
          sha: this.head,
          truncated: false,
          tree: [...this.files].map((p) => ({ path: p, type: 'blob' })),
        },
      ];
    if (method === 'GET' && rest === '/readme') return [200, '# Hello World'];
    if (method === 'GET' && rest === '/languages') return [200, { TypeScript: 1200 }];
    if (method === 'GET' && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
      const role = this.roles[m[1]!] ?? 'none';
      const permission =
        role === 'maintain'
          ? 'write'
          : role === 'triage'
            ? 'read'
            : role === 'none'
              ? 'none'
              : role;
      return [200, { permission, role_name: role, user: { login: m[1] } }];
    }
    if (method === 'GET' && rest === '/issues') return [200, this.listIssues(url.searchParams)];
    if ((m = /^\/issues\/(\d+)(\/.*)?$/.exec(rest))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return [404, { message: 'Not Found' }];
      return this.issueRoute(method, issue, m[2] ?? '', body, url);
    }
    if ((m = /^\/issues\/comments\/(\d+)(\/reactions)?$/.exec(rest))) {
      const c = this.comment(Number(m[1]));
      if (method === 'PATCH' && !m[2] && typeof body?.body === 'string') {
        const from = c.body;
        c.body = body.body;
        const p = this.base('issue_comment', 'edited', GANTRY_BOT.login);
        p.changes = { body: { from } };
        p.comment = { ...(p.comment as object), ...c };
        this.echoes.push({ name: 'issue_comment', payload: this.withIssue(p, this.issueOf(c.id)) });
        return [200, c];
      }
      if (method === 'POST' && m[2]) {
        this.reactions.push({ commentId: c.id, content: String(body?.content) });
        return [201, { id: 1, content: body?.content }];
      }
      if (method === 'GET' && !m[2]) return [200, c];
    }
    return undefined;
  }

  private issueRoute(
    method: string,
    issue: FakeIssue,
    sub: string,
    body: Record<string, unknown> | undefined,
    url: URL,
  ): [number, unknown] | undefined {
    if (method === 'GET' && sub === '') return [200, this.issueJson(issue)];
    if (method === 'GET' && sub === '/events')
      return [
        200,
        issue.events.map((e, i) => ({
          id: i + 1,
          event: e.event,
          label: { name: e.label.name, color: 'ededed' },
          actor: { login: e.actor, type: e.actor.endsWith('[bot]') ? 'Bot' : 'User' },
        })),
      ];
    if (method === 'GET' && sub === '/comments') {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      return [200, issue.comments.slice(0, perPage)];
    }
    if (method === 'POST' && sub === '/comments' && typeof body?.body === 'string') {
      const id = this.nextId++;
      const c: FakeComment = {
        id,
        body: body.body,
        user: ghUser(GANTRY_BOT.login),
        performed_via_github_app: ghApp(GANTRY_APP_ID, 'gantry'),
        reactions: reactions(id),
        html_url: `https://github.com/${OWNER}/${REPO}/issues/${issue.number}#issuecomment-${id}`,
      };
      issue.comments.push(c);
      return [201, c];
    }
    if (method === 'POST' && sub === '/labels' && Array.isArray(body?.labels)) {
      for (const l of body.labels as string[])
        if (!issue.labels.includes(l)) {
          issue.labels.push(l);
          const p = this.base('issues', 'labeled', GANTRY_BOT.login);
          p.label = { ...(p.label as object), name: l };
          this.echoes.push({ name: 'issues', payload: this.withIssue(p, issue.number) });
        }
      return [200, issue.labels.map((name) => ({ name }))];
    }
    const m = /^\/labels\/(.+)$/.exec(sub);
    if (method === 'DELETE' && m) {
      if (!issue.labels.includes(m[1]!)) return [404, { message: 'Label does not exist' }];
      issue.labels = issue.labels.filter((l) => l !== m[1]);
      const p = this.base('issues', 'unlabeled', GANTRY_BOT.login);
      p.label = { ...(p.label as object), name: m[1] };
      this.echoes.push({ name: 'issues', payload: this.withIssue(p, issue.number) });
      return [200, issue.labels.map((name) => ({ name }))];
    }
    return undefined;
  }

  private listIssues(q: URLSearchParams): unknown[] {
    const state = q.get('state') ?? 'open';
    const labels = q.get('labels')?.split(',') ?? [];
    const since = q.get('since') ? Date.parse(q.get('since')!) : undefined;
    return [...this.issues.values()]
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => labels.every((l) => i.labels.includes(l)))
      .filter((i) => since === undefined || i.updatedAt >= since)
      .map((i) => this.issueJson(i));
  }

  private issueJson(i: FakeIssue) {
    return {
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      labels: i.labels.map(ghLabel),
      active_lock_reason: null,
      reactions: reactions(i.number),
      html_url: `https://github.com/${OWNER}/${REPO}/issues/${i.number}`,
      closed_by: i.closedBy
        ? { login: i.closedBy, type: i.closedBy.endsWith('[bot]') ? 'Bot' : 'User' }
        : null,
    };
  }

  repository() {
    return {
      name: REPO,
      full_name: `${OWNER}/${REPO}`,
      owner: ghUser(OWNER),
      default_branch: 'master',
      archived: false,
    };
  }

  // Webhook payloads: GitHub's own examples, changed to describe what happened here.

  private base(event: string, action: string | undefined, sender: string) {
    const p = examplePayload<Record<string, unknown>>(event, action as string);
    Object.assign(p.repository as object, this.repository());
    p.sender = {
      ...(p.sender as object),
      login: sender,
      type: sender.endsWith('[bot]') ? 'Bot' : 'User',
    };
    return p;
  }

  private withIssue(p: Record<string, unknown>, n: number) {
    const issue = this.issue(n);
    Object.assign(p.issue as object, {
      ...this.issueJson(issue),
      pull_request: undefined,
    });
    return p;
  }

  /** A person adds a label. */
  label(name: string, sender = 'octocat', n = 1) {
    const issue = this.issue(n);
    if (!issue.labels.includes(name)) issue.labels.push(name);
    issue.events.push({ event: 'labeled', label: { name }, actor: sender });
    const p = this.base('issues', 'labeled', sender);
    p.label = { ...(p.label as object), name };
    return this.withIssue(p, n);
  }

  /** A person removes a label. */
  unlabel(name: string, sender = 'octocat', n = 1) {
    const issue = this.issue(n);
    issue.labels = issue.labels.filter((l) => l !== name);
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
    const p = this.base('issues', 'edited', sender);
    p.changes = { body: { from } };
    return this.withIssue(p, n);
  }

  /** Someone edits a comment (ticks, text, or the hidden state). */
  editComment(id: number, edit: (body: string) => string, sender = 'octocat', n = 1) {
    const c = this.comment(id);
    const from = c.body;
    c.body = edit(from);
    const p = this.base('issue_comment', 'edited', sender);
    p.changes = { body: { from } };
    p.comment = { ...(p.comment as object), ...c };
    return this.withIssue(p, n);
  }

  /** Someone comments. */
  addComment(body: string, sender = 'octocat', n = 1) {
    const id = this.nextId++;
    const c: FakeComment = {
      id,
      body,
      user: ghUser(sender),
      reactions: reactions(id),
      html_url: `https://github.com/${OWNER}/${REPO}/issues/${n}#issuecomment-${id}`,
      performed_via_github_app: sender.endsWith('[bot]') ? ghApp(7, 'other') : null,
    };
    this.issue(n).comments.push(c);
    const p = this.base('issue_comment', 'created', sender);
    p.comment = { ...(p.comment as object), ...c };
    return { payload: this.withIssue(p, n), comment: c };
  }
}

export { tick } from '../../src/standin/ticks.js';

let loaded: OpenApi | undefined;
/** GitHub's OpenAPI description, loaded once per test file. */
export function openApi(): OpenApi {
  return (loaded ??= OpenApi.load());
}

/** Check a webhook payload against GitHub's schemas; problems are recorded in `fake.invalid`. */
export function checkWebhook(fake: FakeGitHub, name: string, payload: object): void {
  const problems = openApi().checkWebhook(name, payload as Record<string, unknown>);
  if (problems?.length) fake.invalid.push(`webhook ${name}: ${problems.join('; ')}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
