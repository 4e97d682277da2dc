import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { octokitGitHub } from '../../src/app/github/octokit-github.js';
import { ActionsRunner } from '../../src/standin/actions-runner.js';
import { CiRunner } from '../../src/standin/ci-runner.js';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { GitHost } from '../../src/standin/git-host.js';
import { OpenApi } from '../../src/standin/openapi.js';
import { gitHandlers } from '../../src/standin/rest-git.js';
import { checkHandlers } from '../../src/standin/rest-checks.js';
import { issueHandlers } from '../../src/standin/rest-issues.js';
import { StandInServer } from '../../src/standin/server.js';
import { Store } from '../../src/standin/store.js';
import type { Token } from '../../src/standin/token.js';
import type { WebhookEvent } from '../../src/standin/webhook-payloads.js';

const R = 'octo/demo';
let api: OpenApi;
let server: StandInServer;
let base: string;
let store: Store;
let git: GitHost;
let events: WebhookEvent[];
let tokens: Map<string, Token>;
beforeAll(() => {
  api = OpenApi.load();
});
beforeEach(async () => {
  store = new Store('http://stand-in', () => 1_700_000_000_000);
  git = new GitHost(mkdtempSync(join(tmpdir(), 'standin-srv-')));
  base = await git.createRepo(R, {
    'README.md': '# Demo\n',
    '.github/gantry.yml': 'maxParallel: 2\n',
  });
  const repo = store.addRepo(R, 'main', { maint: 'maintain', reader: 'read' });
  store.addIssue(repo, 'maint', 'Add greet()', 'Please.');
  events = [];
  tokens = new Map<string, Token>([
    ['app-token', { login: 'gantry[bot]', app: { id: 42, slug: 'gantry' } }],
  ]);
  server = new StandInServer({
    store,
    git,
    openApi: api,
    handlers: { ...issueHandlers, ...gitHandlers, ...checkHandlers },
    tokens,
    onEvent: (e) => events.push(e),
    ci: new CiRunner(git, {
      // The repository's CI: greet() must say hello.
      command: () =>
        'grep -q hello src/greet.ts 2>/dev/null || { echo "src/greet.ts:1: expected hello"; exit 1; }',
      nextId: () => store.nextId(),
      now: () => 1_700_000_000_000,
    }),
    // No workflow runs here: Actions has nothing to clone with.
    actions: new ActionsRunner(git, {
      actionDir: GANTRY_DIR,
      nextId: () => store.nextId(),
      now: () => 1_700_000_000_000,
      git: {
        url: () => {
          throw new Error('no git over HTTP in this test');
        },
        token: () => ({ token: '', revoke: () => undefined }),
      },
    }),
  });
});
afterEach(() => server.close());

async function client(token = 'app-token') {
  const url = await server.listen();
  return new ProbotOctokit({
    auth: { token },
    baseUrl: `${url}/api/v3`,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

const statusOf = (e: unknown) => (e as { status?: number }).status;

describe('the stand-in over HTTP', () => {
  it('tells the App when an issue was retitled (renamed events) and its body edited (GraphQL)', async () => {
    tokens.set('maint-token', { login: 'maint' });
    const github = octokitGitHub(await client(), { owner: 'octo', repo: 'demo' });
    expect(await github.issueEditedAt(1)).toBeUndefined();
    const maint = await client('maint-token');
    const o = { owner: 'octo', repo: 'demo', issue_number: 1 };
    await maint.rest.issues.addLabels({ ...o, labels: ['gantry:auto'] });
    await maint.rest.issues.update({ ...o, title: 'Add greet(), loudly', body: 'Please!' });
    const listed = await github.listIssueEvents(1);
    expect(listed).toEqual([
      expect.objectContaining({ event: 'labeled', label: 'gantry:auto' }),
      expect.objectContaining({ event: 'renamed', actor: { login: 'maint', bot: false } }),
    ]);
    expect(listed.every((e) => e.at === '2023-11-14T22:13:20Z')).toBe(true);
    expect(await github.issueEditedAt(1)).toBe('2023-11-14T22:13:20Z');
    expect(server.invalid).toEqual([]);
  });

  it('answers the App’s issue calls with GitHub’s shapes, as the App', async () => {
    const gh = await client();
    const o = { owner: 'octo', repo: 'demo' };
    const { data: issue } = await gh.rest.issues.get({ ...o, issue_number: 1 });
    expect(issue).toMatchObject({ number: 1, title: 'Add greet()', state: 'open' });
    const { data: c } = await gh.rest.issues.createComment({ ...o, issue_number: 1, body: 'plan' });
    expect(c.performed_via_github_app).toMatchObject({ id: 42, slug: 'gantry' });
    await gh.rest.issues.updateComment({ ...o, comment_id: c.id, body: 'plan v2' });
    const { data: list } = await gh.rest.issues.listComments({ ...o, issue_number: 1 });
    expect(list.map((x) => x.body)).toEqual(['plan v2']);
    await gh.rest.issues.addLabels({ ...o, issue_number: 1, labels: ['gantry:running'] });
    const { data: open } = await gh.rest.issues.listForRepo({ ...o, labels: 'gantry:running' });
    expect(open.map((i) => i.number)).toEqual([1]);
    const { data: perm } = await gh.rest.repos.getCollaboratorPermissionLevel({
      ...o,
      username: 'maint',
    });
    expect(perm).toMatchObject({ permission: 'write', role_name: 'maintain' });
    const { data: config } = await gh.rest.repos.getContent({
      ...o,
      path: '.github/gantry.yml',
      mediaType: { format: 'raw' },
    });
    expect(config).toBe('maxParallel: 2\n');
    await gh.rest.issues.update({ ...o, issue_number: 1, state: 'closed' });
    expect(server.invalid).toEqual([]);
    // What GitHub would send the App for these calls, and every payload passes its schemas.
    expect(events.map((e) => `${e.name}.${String(e.payload.action)}`)).toEqual([
      'issue_comment.created',
      'issue_comment.edited',
      'issues.labeled',
      'issues.closed',
    ]);
    expect(events[1]!.payload.changes).toEqual({ body: { from: 'plan' } });
    for (const e of events) expect(api.checkWebhook(e.name, e.payload), e.name).toEqual([]);
  });

  it('lands with real git: refs, merges 201/204/409, compare', async () => {
    const gh = await client();
    const o = { owner: 'octo', repo: 'demo' };
    await gh.rest.git.createRef({ ...o, ref: 'refs/heads/gantry/1-greet', sha: base });
    await expect(
      gh.rest.git.createRef({ ...o, ref: 'refs/heads/gantry/1-greet', sha: base }),
    ).rejects.toMatchObject({ status: 422 });
    const me = { name: 'Octo', email: 'o@example.com' };
    const t1 = await git.commitFiles(R, base, { 'src/greet.ts': 'hi\n' }, 'T1', me);
    await git.createBranch(R, 'gantry/1/T1/1', t1);
    const merged = await gh.rest.repos.merge({
      ...o,
      base: 'gantry/1-greet',
      head: 'gantry/1/T1/1',
    });
    expect(merged.status).toBe(201);
    const again = await gh.rest.repos.merge({
      ...o,
      base: 'gantry/1-greet',
      head: 'gantry/1/T1/1',
    });
    expect(again.status).toBe(204);
    const t2 = await git.commitFiles(R, base, { 'src/greet.ts': 'hello\n' }, 'T2', me);
    await git.createBranch(R, 'gantry/1/T2/1', t2);
    const conflict = await gh.rest.repos
      .merge({ ...o, base: 'gantry/1-greet', head: 'gantry/1/T2/1' })
      .catch((e: unknown) => statusOf(e));
    expect(conflict).toBe(409);
    const { data: cmp } = await gh.rest.repos.compareCommitsWithBasehead({
      ...o,
      basehead: 'gantry/1-greet...gantry/1/T2/1',
    });
    expect(cmp.files?.map((f) => f.filename)).toEqual(['src/greet.ts']);
    const { data: ref } = await gh.rest.git.getRef({ ...o, ref: 'heads/gantry/1-greet' });
    expect(ref.object.sha).toBe((merged.data as { sha: string }).sha);
    // Back to the base: refused without force, done with it.
    await expect(
      gh.rest.git.updateRef({ ...o, ref: 'heads/gantry/1-greet', sha: base }),
    ).rejects.toMatchObject({ status: 422 });
    await gh.rest.git.updateRef({ ...o, ref: 'heads/gantry/1-greet', sha: base, force: true });
    expect(server.invalid).toEqual([]);
  });

  it('refuses what GitHub refuses, and records it, and what it does not implement', async () => {
    const gh = await client();
    await expect(
      gh.request('POST /repos/{owner}/{repo}/merges', {
        owner: 'octo',
        repo: 'demo',
        base: 'main',
      } as never), // no head: GitHub answers 422
    ).rejects.toMatchObject({ status: 422 });
    await expect(gh.rest.repos.listForks({ owner: 'octo', repo: 'demo' })).rejects.toMatchObject({
      status: 404,
    });
    expect(server.invalid).toEqual([
      "POST /repos/octo/demo/merges: body must have required property 'head'",
      'GET /repos/octo/demo/forks: the stand-in does not implement repos/list-forks',
    ]);
    const stranger = await client('nope');
    await expect(
      stranger.rest.issues.get({ owner: 'octo', repo: 'demo', issue_number: 1 }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('runs CI on the App’s pushes, with the real exit code, annotations and log', async () => {
    const gh = await client();
    const o = { owner: 'octo', repo: 'demo' };
    await gh.rest.git.createRef({ ...o, ref: 'refs/heads/gantry/1-greet', sha: base });
    const me = { name: 'Octo', email: 'o@example.com' };
    const bad = await git.commitFiles(R, base, { 'src/greet.ts': 'hi\n' }, 'T1', me);
    await git.createBranch(R, 'gantry/1/T1/1', bad);
    const { data } = await gh.rest.repos.merge({
      ...o,
      base: 'gantry/1-greet',
      head: 'gantry/1/T1/1',
    });
    await server.idle();
    const sha = (data as { sha: string }).sha;
    const { data: suites } = await gh.rest.checks.listSuitesForRef({ ...o, ref: sha });
    expect(suites.check_suites).toMatchObject([
      {
        head_sha: sha,
        head_branch: 'gantry/1-greet',
        conclusion: 'failure',
        app: { slug: 'github-actions' },
      },
    ]);
    const { data: runs } = await gh.rest.checks.listForRef({ ...o, ref: sha });
    const run = runs.check_runs[0]!;
    expect(run).toMatchObject({ name: 'test', conclusion: 'failure' });
    const { data: notes } = await gh.rest.checks.listAnnotations({ ...o, check_run_id: run.id });
    expect(notes).toMatchObject([
      { path: 'src/greet.ts', start_line: 1, message: 'expected hello' },
    ]);
    const log = await gh.rest.actions.downloadJobLogsForWorkflowRun({ ...o, job_id: run.id });
    expect(String(log.data)).toContain('src/greet.ts:1: expected hello');
    // Making the goal branch was a push too: CI judged the base first, then the merge.
    const { data: onBase } = await gh.rest.checks.listSuitesForRef({ ...o, ref: base });
    expect(onBase.check_suites).toMatchObject([
      { head_sha: base, head_branch: 'gantry/1-greet', app: { slug: 'github-actions' } },
    ]);
    const hooks = events.filter((e) => e.name.startsWith('check_'));
    expect(hooks.map((e) => `${e.name}.${String(e.payload.action)}`)).toEqual([
      'check_run.completed',
      'check_suite.completed',
      'check_run.completed',
      'check_suite.completed',
    ]);
    for (const e of hooks) expect(api.checkWebhook(e.name, e.payload), e.name).toEqual([]);
    // A push made without the App (a person, or the job token) starts nothing here.
    const good = await git.commitFiles(R, base, { 'src/greet.ts': 'hello\n' }, 'fix', me);
    tokens.set('maint-token', { login: 'maint' });
    const person = await client('maint-token');
    await person.rest.git.updateRef({ ...o, ref: 'heads/gantry/1-greet', sha: good, force: true });
    await server.idle();
    expect((await gh.rest.checks.listSuitesForRef({ ...o, ref: good })).data.total_count).toBe(0);
    expect(server.invalid).toEqual([]);
  });
});
