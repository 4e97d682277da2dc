import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jobJson, runJson, workflowJson } from './actions-json.js';
import type { ActionsRunner } from './actions-runner.js';
import type { Answer } from './answer.js';
import type { Call, Handler } from './call.js';
import { runJson as checkRunJson, suiteJson } from './checks-json.js';
import type { CiRunner } from './ci-runner.js';
import type { GitHost } from './git-host.js';
import type { OpenApi } from './openapi.js';
import { GIT_PREFIX, serveGit } from './git-http.js';
import { graphql } from './graphql.js';
import {
  allows,
  loadAppEvents,
  loadAppPermissions,
  narrowed,
  permissionFor,
  type Access,
  type Permissions,
} from './app-permissions.js';
import { etagOf, matchesEtag } from './etag.js';
import { createsContent, SecondaryLimits } from './secondary-limits.js';
import type { Store, StoredRepo } from './store.js';
import { header, readBody } from './http-request.js';
import { appJwtToken, type Token } from './token.js';
import { WebhookPayloads, type WebhookEvent } from './webhook-payloads.js';

/** A GitHub App registered on the stand-in: its JWTs are checked against this public key. */
export interface RegisteredApp {
  id: number;
  slug: string;
  publicKey: string;
}

/** A call the stand-in answered, as an observer sees it. */
export interface Answered {
  by: string;
  method: string;
  /** The path without the API prefix (`/graphql` for GraphQL). */
  path: string;
  body: unknown;
  status: number;
  answer: unknown;
}

/** GitHub Enterprise's layout: the API under `/api/v3`, so the App runs with `GHE_HOST`. */
export const API_PREFIX = '/api/v3';

/**
 * The stand-in's HTTP side: every request is checked against GitHub's OpenAPI description first
 * (an unknown endpoint answers 404, an invalid one 422, as GitHub would, and both are recorded),
 * then answered by the handler of its operation. An operation the stand-in does not implement is
 * answered 404 and recorded too, so a scenario never passes on a request nobody checked.
 */
export class StandInServer {
  /** Requests refused by the OpenAPI check or not implemented: a scenario fails on any. */
  readonly invalid: string[] = [];
  /**
   * Every authenticated request but those answered 304: who made it, and `METHOD /path` (without
   * the API prefix). What GitHub counts against the rate limit.
   */
  /** Every request, by whom; a GraphQL request with its query. */
  readonly requests: { by: string; call: string; query?: string }[] = [];
  /** Conditional GETs answered 304 Not Modified: GitHub does not count them against the limit. */
  readonly notModified: { by: string; call: string }[] = [];
  /** Content-creating requests per installation; a test may lower `perMinute` and `perHour`. */
  readonly secondary: SecondaryLimits;
  /** What the App's installation may do (`app.yml`'s `default_permissions`). */
  readonly permissions: Permissions;
  /** The webhooks the App subscribes to (`app.yml`'s `default_events`): only those are sent. */
  readonly events: readonly string[];
  private server: Server | undefined;

  constructor(
    private readonly o: {
      store: Store;
      git: GitHost;
      openApi: OpenApi;
      handlers: Record<string, Handler>;
      tokens: Map<string, Token>;
      /** Apps whose JWTs are accepted. */
      apps?: RegisteredApp[];
      /** The installation's permissions (default: those of the repository's `app.yml`). */
      permissions?: Permissions;
      /** The App's webhook events (default: those of the repository's `app.yml`). */
      events?: readonly string[];
      /** Every answered call, for a timeline of what happened. */
      onAnswer?: (a: Answered) => void;
      /** Events the calls cause (a label added, a comment edited), for the webhook sender. */
      onEvent?: (e: WebhookEvent) => void;
      ci: CiRunner;
      actions: ActionsRunner;
    },
  ) {
    this.hooks = new WebhookPayloads(o.store);
    this.secondary = new SecondaryLimits(() => o.store.now());
    this.permissions = o.permissions ?? loadAppPermissions();
    this.events = o.events ?? loadAppEvents();
    o.actions.onRun = (run, action) => {
      const repo = o.store.repos.get(run.repo);
      if (!repo) return;
      this.emit({
        name: 'workflow_run',
        payload: {
          ...this.hooks.envelope(action, repo, run.actor),
          workflow: workflowJson(o.store, repo, run),
          workflow_run: runJson(o.store, repo, this.hooks, run),
        },
      });
    };
    o.actions.onJob = (run, job, action) => {
      const repo = o.store.repos.get(run.repo);
      if (!repo) return;
      this.emit({
        name: 'workflow_job',
        payload: {
          ...this.hooks.envelope(action, repo, run.actor),
          workflow_job: jobJson(o.store, repo, run, job, action === 'queued'),
        },
      });
    };
  }

  /** An event for the App, when it subscribes to it (GitHub sends an App only those). */
  private emit(e: WebhookEvent): void {
    if (this.events.includes(e.name)) this.o.onEvent?.(e);
  }

  private readonly hooks: WebhookPayloads;
  private readonly blobs = new Map<string, { body: string | Uint8Array; type: string }>();
  private readonly running = new Set<Promise<void>>();

  /** Resolves when every CI run and workflow run started so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
    await this.o.actions.idle();
    while (this.running.size) await Promise.all([...this.running]);
  }

  /** A CI run or a workflow run is going. */
  get busy(): boolean {
    return this.running.size > 0 || this.o.actions.busy;
  }

  /** Resolves when the next CI run or workflow run going now ends (at once when none is). */
  async nextDone(): Promise<void> {
    if (!this.busy) return;
    await Promise.race([...this.running, this.o.actions.nextDone()]);
  }

  /** CI for a push the App made; its webhooks follow the result. */
  private push(repo: StoredRepo, branch: string, sha: string, before: string): void {
    const job = this.o.ci
      .run(`${repo.owner}/${repo.name}`, sha, branch, before)
      .then((suite) => {
        if (!suite) return;
        const envelope = (action: string) => ({
          action,
          repository: this.hooks.repository(repo),
          sender: this.o.store.userJson('github-actions[bot]'),
          installation: { id: 1, node_id: 'MDIz1' },
        });
        for (const r of suite.runs)
          this.emit({
            name: 'check_run',
            payload: {
              ...envelope('completed'),
              check_run: checkRunJson(this.o.store, repo, suite, r),
            },
          });
        this.emit({
          name: 'check_suite',
          payload: { ...envelope('completed'), check_suite: suiteJson(this.o.store, repo, suite) },
        });
      })
      .catch((e: unknown) => {
        this.invalid.push(`CI on ${sha.slice(0, 7)} failed to run: ${(e as Error).message}`);
      })
      .finally(() => this.running.delete(job));
    this.running.add(job);
  }

  /** Listen on a free local port; the server's base URL (the store learns it too). */
  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.o.store.serverUrl = url;
    return url;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.answer(req);
    } catch (e) {
      answer = { status: 500, body: { message: `stand-in error: ${(e as Error).message}` } };
      this.invalid.push(`${req.method} ${req.url}: stand-in error: ${(e as Error).message}`);
    }
    const headers = { ...answer.headers };
    if (answer.body !== undefined && !headers['content-type'])
      headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(answer.status, headers);
    res.end(
      answer.body === undefined
        ? undefined
        : typeof answer.body === 'string' || answer.body instanceof Uint8Array
          ? answer.body
          : JSON.stringify(answer.body),
    );
  }

  private async answer(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const blob = this.blobs.get(url.pathname);
    if (blob && method === 'GET')
      return { status: 200, body: blob.body, headers: { 'content-type': blob.type } };
    if (url.pathname.startsWith(GIT_PREFIX))
      return serveGit(req, url, {
        root: this.o.git.root,
        token: (raw) => this.lookup(raw),
        known: (repo) => this.o.store.repos.has(repo),
        failed: (why) => this.invalid.push(why),
      });
    if (url.pathname === '/api/graphql' && method === 'POST') return this.answerGraphql(req);
    return this.answerRest(req, url, method);
  }

  /**
   * GraphQL, for what REST lacks or needs several requests for: installation tokens only, as on
   * GitHub.
   */
  private async answerGraphql(req: IncomingMessage): Promise<Answer> {
    const token = this.token(req);
    if (!token) return { status: 401, body: { message: 'Bad credentials' } };
    const made: { by: string; call: string; query?: string } = {
      by: token.login,
      call: 'POST /graphql',
    };
    this.requests.push(made);
    if (token.jwt) {
      this.invalid.push('POST /graphql with a JWT: GraphQL takes an installation token');
      return { status: 401, body: { message: 'A JSON web token cannot be used here' } };
    }
    const text = await readBody(req);
    let request: Parameters<typeof graphql>[1];
    try {
      request = text ? (JSON.parse(text) as Parameters<typeof graphql>[1]) : undefined;
    } catch {
      this.invalid.push('POST /graphql: the body is not JSON');
      return { status: 400, body: { message: 'Problems parsing JSON' } };
    }
    if (typeof request?.query === 'string') made.query = request.query;
    const answer = await graphql(
      this.o.store,
      request,
      {
        problem: (why) => this.invalid.push(why),
        may: (permission, access) => this.may(token, permission, access),
        creates: () => this.overSecondary(token, 'POST /graphql (a mutation)'),
      },
      {
        commit: (fullName, oid) => this.o.git.resolve(fullName, oid),
        suitesFor: (fullName, sha) => this.o.ci.suitesFor(fullName, sha),
        git: this.o.git,
        // As REST's ref endpoints: pushes made with an installation token start workflows.
        pushed: (repo, branch, sha, before) => {
          if (token.app) this.push(repo, branch, sha, before);
        },
      },
    );
    this.o.onAnswer?.({
      by: token.login,
      method: 'POST',
      path: '/graphql',
      body: request,
      status: answer.status,
      answer: answer.body,
    });
    return answer;
  }

  /** REST under the API prefix: checked against the OpenAPI description, then handled. */
  private async answerRest(req: IncomingMessage, url: URL, method: string): Promise<Answer> {
    if (!url.pathname.startsWith(`${API_PREFIX}/`))
      return { status: 404, body: { message: 'Not Found' } };
    url.pathname = url.pathname.slice(API_PREFIX.length);
    const text = await readBody(req);
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      return this.refuse(method, url, 400, ['the body is not JSON']);
    }
    const token = this.token(req);
    if (!token) return { status: 401, body: { message: 'Bad credentials' } };
    const made = { by: token.login, call: `${method} ${decodeURIComponent(url.pathname)}` };
    this.requests.push(made);
    const check = this.o.openApi.checkRequest(method, url, body);
    if (!check.ok) return this.refuse(method, url, check.status, check.problems);
    if (token.job && !jobMayCall(token, check.params, method))
      return { status: 403, body: { message: 'Resource not accessible by integration' } };
    if (token.jwt && !check.operationId.startsWith('apps/'))
      return this.refuse(method, url, 401, [
        'a JWT can only call the App endpoints; use an installation token',
      ]);
    const handler = this.o.handlers[check.operationId];
    if (!handler)
      return this.refuse(method, url, 404, [
        `the stand-in does not implement ${check.operationId}`,
      ]);
    const refused = this.forbidden(token, check.operationId, method, url);
    if (refused) return refused;
    const { owner, repo: name } = check.params;
    const repo = owner && name ? this.o.store.repo(owner, name) : undefined;
    if (owner && name && !repo) return { status: 404, body: { message: 'Not Found' } };
    const answer = await handler(this.call(req, url, body, token, check.params, repo));
    if (answer.status < 300) {
      const completed = this.o.openApi.completeAnswer(
        method,
        check.template,
        answer.status,
        answer.body,
      );
      answer.body = completed.body;
      for (const problem of completed.problems)
        this.invalid.push(`${method} ${url.pathname}: the stand-in's ${problem}`);
    }
    if (check.operationId === 'apps/create-installation-access-token' && answer.status === 201)
      this.scopeInstallationToken(answer, body, Number(check.params.installation_id));
    if (method === 'GET' && answer.status === 200) {
      const etag = etagOf(answer.body, answer.headers);
      answer.headers = { ...answer.headers, etag };
      if (matchesEtag(header(req, 'if-none-match'), etag)) {
        this.requests.splice(this.requests.indexOf(made), 1);
        this.notModified.push(made);
        return { status: 304, headers: { etag } };
      }
    }
    this.o.onAnswer?.({
      by: token.login,
      method,
      path: decodeURIComponent(url.pathname),
      body,
      status: answer.status,
      answer: answer.body,
    });
    return answer;
  }

  /** An installation token may call what the installation's permissions allow. */
  private may(token: Token, permission: string, access: Access): boolean {
    return !token.permissions || allows(token.permissions, permission, access);
  }

  /**
   * GitHub's refusals before a handler runs, for installation tokens: a permission the
   * installation lacks (403, "Resource not accessible by integration"), and a request that
   * creates content over the secondary rate limits (403 with `retry-after`). Both are recorded.
   */
  private forbidden(
    token: Token,
    operationId: string,
    method: string,
    url: URL,
  ): Answer | undefined {
    if (!token.permissions) return undefined;
    const need = permissionFor(operationId, method);
    if (need === undefined) {
      this.invalid.push(
        `${method} ${url.pathname}: no permission is known for ${operationId} (app-permissions.ts)`,
      );
      return { status: 403, body: notAccessible };
    }
    if (need && !this.may(token, need.permission, need.access)) {
      this.invalid.push(
        `${method} ${url.pathname}: needs ${need.permission}: ${need.access}, which the App's installation lacks`,
      );
      return { status: 403, body: notAccessible };
    }
    if (!createsContent(method) || operationId.startsWith('apps/')) return undefined;
    return this.overSecondary(token, `${method} ${url.pathname}`);
  }

  /** Count a content-creating request of an installation; GitHub's refusal when over a limit. */
  private overSecondary(token: Token, call: string): Answer | undefined {
    if (!token.permissions) return undefined;
    const over = this.secondary.take(`installation ${token.installation ?? '?'}`);
    if (!over) return undefined;
    this.invalid.push(
      `${call}: over the secondary rate limit (${over.limit}); retry after ${over.retryAfter} s`,
    );
    return {
      status: 403,
      headers: { 'retry-after': String(over.retryAfter) },
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url:
          'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      },
    };
  }

  /** The new installation token holds the installation's permissions, narrowed by the request. */
  private scopeInstallationToken(
    answer: Answer,
    body: Record<string, unknown> | undefined,
    installation: number,
  ): void {
    const made = answer.body as { token?: string; permissions?: Permissions };
    const token = made.token === undefined ? undefined : this.o.tokens.get(made.token);
    if (!token) return;
    token.permissions = narrowed(this.permissions, body?.permissions);
    token.installation = installation;
    made.permissions = token.permissions;
  }

  /** What a handler is given for one call. */
  private call(
    req: IncomingMessage,
    url: URL,
    body: Record<string, unknown> | undefined,
    token: Token,
    params: Record<string, string>,
    repo: StoredRepo | undefined,
  ): Call {
    return {
      path: url.pathname,
      params,
      query: url.searchParams,
      body,
      login: token.login,
      accept: String(req.headers.accept ?? ''),
      app: token.app,
      token,
      tokens: this.o.tokens,
      repo: repo!,
      store: this.o.store,
      git: this.o.git,
      hooks: this.hooks,
      emit: (e) => this.emit(e),
      subscribed: [...this.events],
      ci: this.o.ci,
      actions: this.o.actions,
      blobs: this.blobs,
      pushed: (branch, sha, before) => {
        // Pushes made with an installation token start workflows; GITHUB_TOKEN's do not.
        if (token.app && repo) this.push(repo, branch, sha, before);
      },
    };
  }

  /** Who a request's token is: a known token, or a JWT signed by a registered App. */
  private token(req: IncomingMessage): Token | undefined {
    return this.lookup((req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, ''));
  }

  private lookup(raw: string): Token | undefined {
    const known = this.o.tokens.get(raw);
    if (known && known.expiresAt !== undefined && known.expiresAt < Date.now()) return undefined;
    return known ?? appJwtToken(raw, this.o.apps);
  }

  private refuse(method: string, url: URL, status: number, problems: string[]): Answer {
    this.invalid.push(`${method} ${url.pathname}${url.search}: ${problems.join('; ')}`);
    return {
      status,
      body: {
        message: status === 404 ? 'Not Found' : 'Validation Failed',
        errors: problems,
        documentation_url: 'https://docs.github.com/rest',
      },
    };
  }
}

const notAccessible = {
  message: 'Resource not accessible by integration',
  documentation_url: 'https://docs.github.com/rest',
  status: '403',
};

/** A job's GITHUB_TOKEN: its own repository only, and writes only with contents: write. */
function jobMayCall(token: Token, params: Record<string, string>, method: string): boolean {
  const where = params.owner && `${params.owner}/${params.repo}`;
  return (
    where === token.repo &&
    token.contents !== 'none' &&
    (method === 'GET' || token.contents === 'write')
  );
}
