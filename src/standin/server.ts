import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runJson, suiteJson } from './checks-json.js';
import type { CiRunner } from './ci-runner.js';
import type { GitHost } from './git-host.js';
import type { OpenApi } from './openapi.js';
import type { Store, StoredRepo } from './store.js';
import { WebhookPayloads, type WebhookEvent } from './webhook-payloads.js';

/** One REST call, as a handler sees it. */
export interface Call {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
  /** Who is calling, from the token. */
  login: string;
  /** The request's Accept header (raw file contents, diffs). */
  accept: string;
  /** The App, when an installation token made the call. */
  app?: { id: number; slug: string } | undefined;
  /** The repository of `/repos/{owner}/{repo}/...` calls (404 before the handler if unknown). */
  repo: StoredRepo;
  store: Store;
  git: GitHost;
  /** Webhook payloads of this stand-in, and where the events of this call go. */
  hooks: WebhookPayloads;
  emit(e: WebhookEvent): void;
  /** The repository's CI, and what it reported. */
  ci: CiRunner;
  /** Files served outside the API (artifacts, logs), by path. */
  blobs: Map<string, { body: string | Uint8Array; type: string }>;
  /** The App pushed `sha` to `branch` (a merge, a ref update): CI runs, as on GitHub. */
  pushed(branch: string, sha: string, before: string): void;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (c: Call) => Answer | Promise<Answer>;

export interface Token {
  login: string;
  app?: { id: number; slug: string } | undefined;
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
  /** Every request, as `METHOD /path` (without the API prefix). */
  readonly requests: string[] = [];
  private server: Server | undefined;

  constructor(
    private readonly o: {
      store: Store;
      git: GitHost;
      openApi: OpenApi;
      handlers: Record<string, Handler>;
      tokens: Map<string, Token>;
      /** Events the calls cause (a label added, a comment edited), for the webhook sender. */
      onEvent?: (e: WebhookEvent) => void;
      ci: CiRunner;
    },
  ) {
    this.hooks = new WebhookPayloads(o.store);
  }

  private readonly hooks: WebhookPayloads;
  private readonly blobs = new Map<string, { body: string | Uint8Array; type: string }>();
  private readonly running = new Set<Promise<void>>();

  /** Resolves when every CI run started so far has reported. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
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
          this.o.onEvent?.({
            name: 'check_run',
            payload: { ...envelope('completed'), check_run: runJson(this.o.store, repo, suite, r) },
          });
        this.o.onEvent?.({
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
    if (!url.pathname.startsWith(`${API_PREFIX}/`))
      return { status: 404, body: { message: 'Not Found' } };
    url.pathname = url.pathname.slice(API_PREFIX.length);
    this.requests.push(`${method} ${decodeURIComponent(url.pathname)}`);
    const text = await readBody(req);
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      return this.refuse(method, url, 400, ['the body is not JSON']);
    }
    const token = this.o.tokens.get(
      (req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, ''),
    );
    if (!token) return { status: 401, body: { message: 'Bad credentials' } };
    const check = this.o.openApi.checkRequest(method, url, body);
    if (!check.ok) return this.refuse(method, url, check.status, check.problems);
    const handler = this.o.handlers[check.operationId];
    if (!handler)
      return this.refuse(method, url, 404, [
        `the stand-in does not implement ${check.operationId}`,
      ]);
    const { owner, repo: name } = check.params;
    const repo = owner && name ? this.o.store.repo(owner, name) : undefined;
    if (owner && name && !repo) return { status: 404, body: { message: 'Not Found' } };
    return handler({
      params: check.params,
      query: url.searchParams,
      body,
      login: token.login,
      accept: String(req.headers.accept ?? ''),
      app: token.app,
      repo: repo!,
      store: this.o.store,
      git: this.o.git,
      hooks: this.hooks,
      emit: (e) => this.o.onEvent?.(e),
      ci: this.o.ci,
      blobs: this.blobs,
      pushed: (branch, sha, before) => {
        // Pushes made with an installation token start workflows; GITHUB_TOKEN's do not.
        if (token.app && repo) this.push(repo, branch, sha, before);
      },
    });
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
