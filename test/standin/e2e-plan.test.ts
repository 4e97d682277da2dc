import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createNodeMiddleware, Probot } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { gantryApp, type GantryApp } from '../../src/app/app.js';
import { GantryOctokit } from '../../src/app/conditional-requests.js';
import { parsePlanComment } from '../../src/core/checklist/parse.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { CiRunner } from '../../src/standin/ci-runner.js';
import { GitHost } from '../../src/standin/git-host.js';
import { OpenApi } from '../../src/standin/openapi.js';
import { gitHandlers } from '../../src/standin/rest-git.js';
import { issueHandlers } from '../../src/standin/rest-issues.js';
import { StandInServer, type Token } from '../../src/standin/server.js';
import { Store } from '../../src/standin/store.js';
import { WebhookSender } from '../../src/standin/webhook-sender.js';
import { DIAMOND } from '../support/app-harness.js';
import { tick } from '../support/fake-github.js';

const SECRET = 'stand-in-webhook-secret';
const KEY = 'k'.repeat(32);
const APP = { id: 42, slug: 'gantry' };
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The stand-in with one repository, and the unmodified App in a real Probot, over HTTP. */
async function world() {
  const store = new Store('http://stand-in');
  const git = new GitHost(mkdtempSync(join(tmpdir(), 'standin-e2e-')));
  await git.createRepo('octo/demo', {
    'README.md': '# Demo\n\nA greeting library.\n',
    'src/index.ts': 'export {};\n',
    '.github/workflows/gantry-task.yml': 'name: gantry-task\n',
  });
  const repo = store.addRepo('octo/demo', 'main', {
    maint: 'maintain',
    tri: 'triage',
    reader: 'read',
  });
  const issue = store.addIssue(
    repo,
    'maint',
    'Add a greeting module',
    'Add greet() and its tests.',
  );
  const tokens = new Map<string, Token>([
    ['app-token', { login: `${APP.slug}[bot]`, app: APP }],
    ['maint-token', { login: 'maint' }],
    ['tri-token', { login: 'tri' }],
    ['reader-token', { login: 'reader' }],
    ['other-app-token', { login: 'other[bot]', app: { id: 7, slug: 'other' } }],
  ]);
  const openApi = OpenApi.load();
  // The sender needs the App's URL, which comes later; events wait for it in the meantime.
  const to: { sender?: WebhookSender } = {};
  const server = new StandInServer({
    store,
    git,
    openApi,
    handlers: { ...issueHandlers, ...gitHandlers },
    tokens,
    onEvent: (e) => to.sender!.queue(e.name, e.payload),
    ci: new CiRunner(git, {
      command: () => undefined,
      nextId: () => store.nextId(),
      now: Date.now,
    }),
  });
  const url = await server.listen();
  closers.push(() => server.close());

  const app: GantryApp = gantryApp({
    planner: () => scripted,
    stateKey: KEY,
    appId: APP.id,
  });
  const scripted = await ScriptedPlanner.fromFile(DIAMOND);
  const probot = new Probot({
    githubToken: 'app-token',
    baseUrl: `${url}/api/v3`,
    secret: SECRET,
    // Probot's write throttle spaces writes by a second; the stand-in has no limits to respect.
    Octokit: GantryOctokit.defaults((o: Record<string, unknown>) => ({
      ...o,
      throttle: { ...(o.throttle as object), enabled: false },
    })),
    log: pino({ level: 'silent' }),
  });
  const middleware = await createNodeMiddleware(app, {
    probot,
    webhooksPath: '/api/github/webhooks',
  });
  const appServer: Server = createServer((req, res) => void middleware(req, res));
  await new Promise<void>((r) => appServer.listen(0, '127.0.0.1', r));
  closers.push(
    () => new Promise((r) => appServer.close(r)),
    () => app.close(),
  );
  const hook = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}/api/github/webhooks`;
  to.sender = new WebhookSender({ url: hook, secret: SECRET, openApi });
  const sender = to.sender;
  const { ProbotOctokit } = await import('probot');
  const as = (token: string) =>
    new ProbotOctokit({
      auth: { token },
      baseUrl: `${url}/api/v3`,
      retry: { enabled: false },
      throttle: { enabled: false },
    });

  /** Deliver every webhook, and the ones the App's answers cause, until all is quiet. */
  const settle = async () => {
    for (let round = 0; round < 10; round++) {
      await sender.flush();
      await app.idle();
      if (!sender.pendingCount) return;
    }
    throw new Error('webhooks keep coming');
  };
  return { store, server, sender, issue, app, settle, as, maint: as('maint-token') };
}

describe('the App against the stand-in, end to end', () => {
  it('a maintainer labels an issue over HTTP: the App plans it and posts the plan comment', async () => {
    const w = await world();
    await w.maint.rest.issues.addLabels({
      owner: 'octo',
      repo: 'demo',
      issue_number: 1,
      labels: ['gantry'],
    });
    await w.settle();
    const mine = w.issue.comments.filter((c) => c.app?.id === APP.id);
    expect(mine).toHaveLength(1);
    const parsed = parsePlanComment(mine[0]!.body, KEY, { repo: 'octo/demo', issue: 1 });
    if (!parsed.state.ok) throw parsed.state.error;
    expect(parsed.state.state).toMatchObject({ status: 'awaiting-approval', planVersion: 1 });
    expect(w.issue.labels).toEqual(['gantry', 'gantry:awaiting-approval']);
    // Every request and webhook was one GitHub would accept and send.
    expect(w.server.invalid).toEqual([]);
    expect(w.sender.invalid).toEqual([]);
    expect(w.sender.deliveries.filter((d) => d.outcome !== 200)).toEqual([]);
    expect(w.sender.deliveries.map((d) => `${d.event}.${d.action}`)).toContain('issues.labeled');
  });

  it('a read-only user, a triage user and another app tick boxes: nothing runs', async () => {
    const w = await world();
    const o = { owner: 'octo', repo: 'demo' };
    await w.maint.rest.issues.addLabels({ ...o, issue_number: 1, labels: ['gantry'] });
    await w.settle();
    const plan = w.issue.comments.find((c) => c.app?.id === APP.id)!;
    const planned = plan.body;
    const ticked = tick(planned, ['T1', 'Start']);
    // GitHub itself refuses an edit of someone else's comment without write access.
    for (const token of ['reader-token', 'tri-token'])
      await expect(
        w.as(token).rest.issues.updateComment({ ...o, comment_id: plan.id, body: ticked }),
      ).rejects.toMatchObject({ status: 403 });
    // Another app may edit it: Gantry puts the plan back.
    await w
      .as('other-app-token')
      .rest.issues.updateComment({ ...o, comment_id: plan.id, body: ticked });
    await w.settle();
    expect(plan.body).toBe(planned);
    const parsed = parsePlanComment(plan.body, KEY, { repo: 'octo/demo', issue: 1 });
    if (!parsed.state.ok) throw parsed.state.error;
    expect(parsed.state.state.status).toBe('awaiting-approval');
    expect(w.issue.labels).not.toContain('gantry:running');
    expect(w.server.invalid).toEqual([]);
    expect(w.sender.invalid).toEqual([]);
  });
});
