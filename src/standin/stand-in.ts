import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbotOctokit } from 'probot';
import { ActionsRunner } from './actions-runner.js';
import { CiRunner } from './ci-runner.js';
import { GitHost } from './git-host.js';
import { GIT_PREFIX } from './git-http.js';
import { OpenApi } from './openapi.js';
import { actionsHandlers } from './rest-actions.js';
import { appHandlers } from './rest-apps.js';
import { checkHandlers } from './rest-checks.js';
import { gitHandlers } from './rest-git.js';
import { issueHandlers } from './rest-issues.js';
import { pullHandlers } from './rest-pulls.js';
import { API_PREFIX, StandInServer, type Answered } from './server.js';
import { Store, type Role, type StoredRepo } from './store.js';
import type { Token } from './token.js';
import type { WebhookEvent } from './webhook-payloads.js';
import { WebhookSender, type Chaos } from './webhook-sender.js';

export interface RepoSettings {
  /** Who may do what: login to role. */
  roles: Record<string, Role>;
  /** The repository's CI command, run on every push the App makes (none: no CI). */
  ci?: string;
  /** Actions secrets and variables (`secrets.X`, `vars.X`). */
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  defaultBranch?: string;
}

export interface StandInOptions {
  /** The Action's directory (`action.yml`, `dist/index.js`): the task workflow runs it. */
  actionDir: string;
  /** Where the bare repositories live (default: a new temporary directory, removed on close). */
  root?: string;
  app?: { id: number; slug: string };
  now?: () => number;
  /** Every answered call, and every webhook sent (for a timeline). */
  onAnswer?: (a: Answered) => void;
  onWebhook?: (e: WebhookEvent) => void;
  /** CI's time limit, whatever a repository's config says (`--ci-timeout`, in minutes). */
  ciTimeoutMinutes?: number | undefined;
  /**
   * Variables of this environment CI and jobs get besides PATH, HOME, the locale and what a
   * proxy or a custom CA needs (`--env NAME`).
   */
  env?: readonly string[] | undefined;
}

/**
 * A local GitHub: one server with REST (OpenAPI-checked), GraphQL for the mutation REST lacks,
 * real git repositories, CI on the App's pushes, GitHub Actions for dispatched workflows, a
 * registered GitHub App (JWT and installation tokens), users with roles, and signed webhooks to
 * the App. Everything a scenario or the demo needs to run the unmodified App and Action.
 */
export class StandIn {
  readonly store: Store;
  readonly git: GitHost;
  readonly openApi: OpenApi;
  readonly ci: CiRunner;
  readonly actions: ActionsRunner;
  readonly server: StandInServer;
  readonly app: { id: number; slug: string; privateKey: string };
  /** Webhooks sent before an app is connected wait here. */
  private readonly waiting: WebhookEvent[] = [];
  /** `settle` waiting for the next event. */
  private readonly eventWaiters: (() => void)[] = [];
  private sender: WebhookSender | undefined;
  private readonly settings = new Map<string, RepoSettings>();
  private readonly tokens = new Map<string, Token>();
  private url = '';

  private constructor(
    private readonly o: StandInOptions,
    private readonly root: string,
  ) {
    const now = o.now ?? Date.now;
    this.store = new Store('http://stand-in', now);
    this.git = new GitHost(root);
    this.openApi = OpenApi.load();
    const app = o.app ?? { id: 42, slug: 'gantry' };
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.app = {
      ...app,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    };
    this.ci = new CiRunner(this.git, {
      command: (repo) => this.settings.get(repo)?.ci,
      nextId: () => this.store.nextId(),
      now,
      timeoutMinutes: o.ciTimeoutMinutes,
      env: o.env,
    });
    this.actions = new ActionsRunner(this.git, {
      actionDir: o.actionDir,
      nextId: () => this.store.nextId(),
      now,
      git: {
        url: (repo) => `${this.url}${GIT_PREFIX}${repo}.git`,
        token: (repo, contents) => {
          const token = `ghs_job_${randomBytes(16).toString('hex')}`;
          this.tokens.set(token, { login: 'github-actions[bot]', job: true, contents, repo });
          return { token, revoke: () => this.tokens.delete(token) };
        },
      },
      secrets: (repo) => this.settings.get(repo)?.secrets ?? {},
      vars: (repo) => this.settings.get(repo)?.vars ?? {},
      env: o.env,
    });
    this.server = new StandInServer({
      store: this.store,
      git: this.git,
      openApi: this.openApi,
      handlers: {
        ...issueHandlers,
        ...gitHandlers,
        ...checkHandlers,
        ...actionsHandlers,
        ...pullHandlers,
        ...appHandlers,
      },
      tokens: this.tokens,
      apps: [{ ...app, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string }],
      onEvent: (e) => {
        o.onWebhook?.(e);
        if (this.sender) this.sender.queue(e.name, e.payload);
        else this.waiting.push(e);
        for (const wake of this.eventWaiters.splice(0)) wake();
      },
      onAnswer: o.onAnswer,
      ci: this.ci,
      actions: this.actions,
    });
  }

  static async start(o: StandInOptions): Promise<StandIn> {
    const root = o.root ?? mkdtempSync(join(tmpdir(), 'gantry-standin-'));
    const standIn = new StandIn(o, root);
    standIn.url = await standIn.server.listen();
    return standIn;
  }

  /** The first repository's full name (the sample's, in scenarios and the demo). */
  repo(): string {
    const first = [...this.store.repos.keys()][0];
    if (!first) throw new Error('the stand-in has no repository yet');
    return first;
  }

  /** The REST base URL, as Probot's `baseUrl` or `GHE_HOST` would give it. */
  get apiUrl(): string {
    return `${this.url}${API_PREFIX}`;
  }

  /** A repository with these files on its default branch, and its people and CI. */
  async addRepo(
    fullName: string,
    files: Record<string, string>,
    settings: RepoSettings,
  ): Promise<StoredRepo> {
    await this.git.createRepo(fullName, files, settings.defaultBranch);
    this.settings.set(fullName, settings);
    return this.store.addRepo(fullName, settings.defaultBranch ?? 'main', settings.roles);
  }

  /**
   * A repository imported from a local one (a bare clone: its history and every branch; the
   * original is only read), with `files` committed on top of its default branch.
   */
  async importRepo(
    fullName: string,
    source: string,
    files: Record<string, string>,
    settings: Omit<RepoSettings, 'defaultBranch'>,
  ): Promise<StoredRepo> {
    const defaultBranch = await this.git.importRepo(fullName, source);
    const head = await this.git.branchSha(fullName, defaultBranch);
    const sha = await this.git.commitFiles(fullName, head, files, 'Install Gantry (stand-in)', {
      name: 'Octo Cat',
      email: 'octocat@example.com',
    });
    await this.git.updateBranch(fullName, defaultBranch, sha, false);
    this.settings.set(fullName, { ...settings, defaultBranch });
    return this.store.addRepo(fullName, defaultBranch, settings.roles);
  }

  /** An Octokit acting as a person (or another app, for logins ending in `[bot]`). */
  as(login: string, app?: { id: number; slug: string }): InstanceType<typeof ProbotOctokit> {
    const token = `${login}-token`;
    this.tokens.set(token, { login, app });
    return this.client(token);
  }

  /** An Octokit that sends this token (a JWT, an installation token) as it is. */
  client(token: string): InstanceType<typeof ProbotOctokit> {
    return new ProbotOctokit({
      auth: { token },
      baseUrl: this.apiUrl,
      retry: { enabled: false },
      throttle: { enabled: false },
    });
  }

  /**
   * Send webhooks to an app from now on (and those that waited for one), each as soon as its
   * event happens, as GitHub does: a task run's completion reaches the App while CI of another
   * push is still running.
   */
  connect(o: { url: string; secret: string; chaos?: Chaos; seed?: number }): WebhookSender {
    this.sender = new WebhookSender({ ...o, openApi: this.openApi, live: true });
    for (const e of this.waiting.splice(0)) this.sender.queue(e.name, e.payload);
    return this.sender;
  }

  get webhooks(): WebhookSender {
    if (!this.sender) throw new Error('no app is connected: call connect() first');
    return this.sender;
  }

  /**
   * Wait until all is quiet: no webhook left to deliver, the app idle, no CI or workflow run
   * going. Webhooks are not held for this (they go as their events happen); `stop` is asked each
   * time the app is idle, and ends the wait early. `rounds` bounds the app's turns: a loop of
   * webhooks the app's own writes cause is an error, not a hang.
   */
  async settle(appIdle: () => Promise<void>, stop?: () => boolean, rounds = 2000): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      await this.webhooks.flush();
      await appIdle();
      if (stop?.()) return;
      if (this.webhooks.busy) continue;
      if (!this.server.busy) return;
      // Something is still running: wait for it to end, or for an event it causes.
      await Promise.race([this.server.nextDone(), this.nextEvent()]);
    }
    throw new Error(`webhooks still coming after ${rounds} rounds`);
  }

  /** Resolves at the next event the stand-in sends (or holds for an app). */
  private nextEvent(): Promise<void> {
    return new Promise((r) => this.eventWaiters.push(r));
  }

  /** The calls the App made (REST and GraphQL, with its JWT or its installation token). */
  appCalls(): string[] {
    const as = new Set([this.app.slug, `${this.app.slug}[bot]`]);
    return this.server.requests.filter((r) => as.has(r.by)).map((r) => r.call);
  }

  /** What GitHub would have refused, and webhooks its schemas refuse: a scenario wants none. */
  problems(): string[] {
    return [...this.server.invalid, ...(this.sender?.invalid ?? [])];
  }

  async close(): Promise<void> {
    this.actions.cancelAll();
    await this.server.idle();
    // What the last runs said is delivered (or fails, the app being gone), not left in flight.
    await this.sender?.flush();
    await this.server.close();
    if (!this.o.root) await rm(this.root, { recursive: true, force: true });
  }
}
