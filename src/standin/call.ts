import type { ActionsRunner } from './actions-runner.js';
import type { Answer } from './answer.js';
import type { CiRunner } from './ci-runner.js';
import type { GitHost } from './git-host.js';
import type { Store, StoredRepo } from './store.js';
import type { Token } from './token.js';
import type { WebhookEvent, WebhookPayloads } from './webhook-payloads.js';

/** One REST call, as a handler sees it. */
export interface Call {
  /** The request's path without the API prefix, for links to other pages. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
  /** Who is calling, from the token. */
  login: string;
  /** The request's Accept header (raw file contents, diffs). */
  accept: string;
  /** The App, when an installation token or the App's JWT made the call. */
  app?: { id: number; slug: string } | undefined;
  token: Token;
  /** Every token the stand-in accepts (the App's installation tokens are added here). */
  tokens: Map<string, Token>;
  /** The repository of `/repos/{owner}/{repo}/...` calls (404 before the handler if unknown). */
  repo: StoredRepo;
  store: Store;
  git: GitHost;
  /** Webhook payloads of this stand-in, and where the events of this call go. */
  hooks: WebhookPayloads;
  emit(e: WebhookEvent): void;
  /** The webhooks the App subscribes to (its installation lists them). */
  subscribed: string[];
  /** The repository's CI, and what it reported. */
  ci: CiRunner;
  /** GitHub Actions: dispatched workflows, their runs, jobs and artifacts. */
  actions: ActionsRunner;
  /** Files served outside the API (artifacts, logs), by path. */
  blobs: Map<string, { body: string | Uint8Array; type: string }>;
  /** The App pushed `sha` to `branch` (a merge, a ref update): CI runs, as on GitHub. */
  pushed(branch: string, sha: string, before: string): void;
}

/** The stand-in's answer to one REST operation. */
export type Handler = (c: Call) => Answer | Promise<Answer>;
