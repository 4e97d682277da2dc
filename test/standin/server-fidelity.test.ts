import { pino } from 'pino';
import { Probot, type ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { conditionalRequests, ResponseCache } from '../../src/app/github/gantry-octokit.js';
import { octokitGitHub } from '../../src/app/github/octokit-github.js';
import { loadAppPermissions, narrowed, permissionFor } from '../../src/standin/app-permissions.js';
import { actionsHandlers } from '../../src/standin/rest-actions.js';
import { appHandlers } from '../../src/standin/rest-apps.js';
import { checkHandlers } from '../../src/standin/rest-checks.js';
import { gitHandlers } from '../../src/standin/rest-git.js';
import { issueHandlers } from '../../src/standin/rest-issues.js';
import { pullHandlers } from '../../src/standin/rest-pulls.js';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { StandIn } from '../../src/standin/stand-in.js';

const R = { owner: 'octo', repo: 'fidelity' };
let clock = 1_700_000_000_000;
let standIn: StandIn;
afterEach(() => standIn?.close());

/** A stand-in on a clock the test moves, with one repository, one issue and one comment on it. */
async function world() {
  clock = 1_700_000_000_000;
  standIn = await StandIn.start({ actionDir: GANTRY_DIR, now: () => clock });
  const repo = await standIn.addRepo(
    `${R.owner}/${R.repo}`,
    { 'README.md': '# fidelity\n' },
    { roles: { maint: 'maintain' } },
  );
  const issue = standIn.store.addIssue(repo, 'maint', 'Add greet()', 'Please.');
  const probot = new Probot({
    appId: standIn.app.id,
    privateKey: standIn.app.privateKey,
    baseUrl: standIn.apiUrl,
    log: pino({ level: 'silent' }),
  });
  const asApp = await probot.auth();
  /** An installation token, with the installation's permissions or fewer, as a client. */
  const installation = async (permissions?: Record<string, 'read' | 'write'>) => {
    const { data } = await asApp.rest.apps.createInstallationAccessToken({
      installation_id: 1,
      ...(permissions && { permissions }),
    });
    return { client: standIn.client(data.token), granted: data.permissions };
  };
  return { repo, issue, installation };
}

/** GraphQL's raw answer (Octokit's `graphql` throws on `errors`; GitHub answers 200). */
async function rawGraphql(client: ProbotOctokit, query: string, variables = {}) {
  // GitHub Enterprise's GraphQL lives at /api/graphql, beside the REST prefix /api/v3.
  const url = `${standIn.apiUrl.replace(/\/v3$/, '')}/graphql`;
  const { status, data } = await client.request(`POST ${url}`, { query, variables });
  return {
    status,
    body: data as { data?: unknown; errors?: { message: string; type?: string }[] },
  };
}

describe('GraphQL is validated against GitHub’s published schema', () => {
  it('answers the App’s own queries and mutation with what they ask for, and records nothing', async () => {
    const { issue, installation } = await world();
    const { client } = await installation();
    const github = octokitGitHub(client, R);
    const comment = await github.createComment(issue.number, 'plan');
    const stored = issue.comments.at(-1)!;
    for (let k = 0; k < 3; k++)
      stored.edits = [...(stored.edits ?? []), { editor: 'maint', at: k }];
    const history = await github.commentHistory(comment.nodeId!, 5);
    expect(history).toMatchObject({ author: 'gantry', editor: { type: 'User', login: 'maint' } });
    expect(history?.edits).toHaveLength(3);
    expect(await github.issueEditedAt(issue.number)).toBeUndefined();
    const full = `${R.owner}/${R.repo}`;
    const main = await standIn.git.branchSha(full, 'main');
    const who = { name: 'Octo Cat', email: 'octocat@example.com' };
    const sha = await standIn.git.commitFiles(full, main, { 'a.txt': 'a\n' }, 'a', who);
    await client.rest.git.createRef({ ...R, ref: 'refs/heads/goal', sha });
    const pull = await github.createPull({
      title: 'Goal',
      head: 'goal',
      base: 'main',
      body: '',
      draft: true,
    });
    await github.markPullReady(pull);
    expect([...standIn.store.repos.values()][0]!.pulls.get(pull.number)?.draft).toBe(false);
    expect(standIn.problems()).toEqual([]);
  });

  it('answers an unknown field, a wrong argument type or a wrong variable type with 200 and errors, and records each', async () => {
    const { installation } = await world();
    const { client } = await installation();
    const unknownField = await rawGraphql(
      client,
      'query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { issue(number: 1) { lastEditedAtt } } }',
      { owner: R.owner, name: R.repo },
    );
    expect(unknownField.status).toBe(200);
    expect(unknownField.body.data).toBeUndefined();
    expect(unknownField.body.errors?.[0]?.message).toMatch(/lastEditedAtt/);
    const wrongArgument = await rawGraphql(
      client,
      'query { repository(owner: "octo", name: "fidelity") { issue(number: "one") { lastEditedAt } } }',
    );
    expect(wrongArgument.body.errors?.[0]?.message).toMatch(/Int/);
    const wrongVariable = await rawGraphql(
      client,
      'query($number: Int!) { repository(owner: "octo", name: "fidelity") { issue(number: $number) { lastEditedAt } } }',
      { number: 'one' },
    );
    expect(wrongVariable.body.errors?.[0]?.message).toMatch(/\$number/);
    const syntax = await rawGraphql(client, 'query { repository(owner: "octo" { id } }');
    expect(syntax.body.errors?.[0]?.message).toMatch(/Syntax Error/);
    await expect(client.graphql('query { viewer { loginn } }')).rejects.toThrow(/loginn/);
    const problems = standIn.problems();
    expect(problems).toHaveLength(5);
    expect(problems.every((p) => p.startsWith('GraphQL query GitHub refuses'))).toBe(true);
  });

  it('answers a missing node as GitHub does (NOT_FOUND, not a problem); a field the stand-in does not model is one', async () => {
    const { installation } = await world();
    const { client } = await installation();
    const missing = await rawGraphql(client, 'query($id: ID!) { node(id: $id) { id } }', {
      id: 'IC_404',
    });
    expect(missing.body).toMatchObject({
      data: { node: null },
      errors: [{ type: 'NOT_FOUND', message: expect.stringMatching(/IC_404/) }],
    });
    expect(standIn.problems()).toEqual([]);
    const unmodelled = await rawGraphql(client, 'query { viewer { login } }');
    expect(unmodelled.body.errors).toHaveLength(1);
    expect(standIn.problems()).toEqual([
      expect.stringMatching(/^GraphQL the stand-in does not answer: .*Query\.viewer/),
    ]);
  });
});

describe('installation permissions come from app.yml and are enforced on every request', () => {
  it('grants app.yml’s default_permissions to an installation token', async () => {
    const { installation } = await world();
    const { granted } = await installation();
    expect(granted).toEqual(loadAppPermissions());
    expect(loadAppPermissions()).toMatchObject({ issues: 'write', checks: 'read' });
  });

  it('answers 403 "Resource not accessible by integration" to what the token may not do, REST and GraphQL, and records it', async () => {
    const { issue, installation } = await world();
    const { client, granted } = await installation({ issues: 'read', metadata: 'read' });
    expect(granted).toEqual({ issues: 'read', metadata: 'read' });
    const o = { ...R, issue_number: issue.number };
    await client.rest.issues.get(o); // reading is allowed
    await expect(client.rest.issues.createComment({ ...o, body: 'x' })).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('Resource not accessible by integration'),
    });
    await expect(client.rest.pulls.list(R)).rejects.toMatchObject({ status: 403 });
    const mutation = await rawGraphql(
      client,
      'mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { isDraft } } }',
      { id: 'PR_1' },
    );
    expect(mutation.body).toMatchObject({
      data: { markPullRequestReadyForReview: null },
      errors: [{ type: 'FORBIDDEN', message: 'Resource not accessible by integration' }],
    });
    expect(issue.comments).toEqual([]);
    expect(standIn.problems()).toEqual([
      expect.stringMatching(/issues\/1\/comments: needs issues: write/),
      expect.stringMatching(/pulls: needs pull_requests: read/),
      expect.stringMatching(/^GraphQL needs pull_requests: write/),
    ]);
  });

  it('asks for no more than the installation has: a token cannot widen its permissions', () => {
    const has = loadAppPermissions();
    expect(narrowed(has, { checks: 'write', issues: 'read', administration: 'write' })).toEqual({
      issues: 'read',
    });
  });

  it('knows the permission of every operation the stand-in answers', () => {
    const handlers = {
      ...issueHandlers,
      ...gitHandlers,
      ...checkHandlers,
      ...actionsHandlers,
      ...pullHandlers,
      ...appHandlers,
    };
    const unknown = Object.keys(handlers).filter((op) => permissionFor(op, 'GET') === undefined);
    expect(unknown).toEqual([]);
    expect(permissionFor('repos/merge', 'POST')).toEqual({
      permission: 'contents',
      access: 'write',
    });
    expect(permissionFor('repos/get-combined-status-for-ref', 'GET')).toEqual({
      permission: 'statuses',
      access: 'read',
    });
    expect(permissionFor('apps/create-installation-access-token', 'POST')).toBeNull();
  });
});

describe('conditional requests', () => {
  it('answers 304 to If-None-Match while the answer is unchanged, counted apart from other requests', async () => {
    const { issue, installation } = await world();
    const { client } = await installation();
    const o = { ...R, issue_number: issue.number };
    const first = await client.rest.issues.get(o);
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const before = standIn.server.requests.length;
    await expect(
      client.rest.issues.get({ ...o, headers: { 'if-none-match': etag } }),
    ).rejects.toMatchObject({ status: 304 });
    expect(standIn.server.requests).toHaveLength(before);
    expect(standIn.server.notModified).toEqual([
      { by: 'gantry[bot]', call: `GET /repos/octo/fidelity/issues/${issue.number}` },
    ]);
    issue.title = 'Add greet(), loudly';
    const changed = await client.rest.issues.get({ ...o, headers: { 'if-none-match': etag } });
    expect(changed.data.title).toBe('Add greet(), loudly');
    expect(changed.headers.etag).not.toBe(etag);
    expect(standIn.problems()).toEqual([]);
  });

  it('lets the App’s conditional GETs reuse what they kept', async () => {
    const { issue, installation } = await world();
    const { client } = await installation();
    conditionalRequests(client, new ResponseCache());
    const o = { ...R, issue_number: issue.number };
    const a = await client.rest.issues.listComments(o);
    const b = await client.rest.issues.listComments(o);
    expect(b.data).toEqual(a.data);
    expect(standIn.server.notModified).toHaveLength(1);
  });
});

interface Refusal {
  status: number;
  message: string;
  response: { headers: Record<string, string> };
}

const refusal = (p: Promise<unknown>): Promise<Refusal> =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as Refusal,
  );

describe('secondary rate limits', () => {
  it('refuses content-creating requests over the limit with 403 and retry-after, on the stand-in’s clock', async () => {
    const { issue, installation } = await world();
    const { client } = await installation();
    standIn.server.secondary.perMinute = 3;
    standIn.server.secondary.perHour = 5;
    const o = { ...R, issue_number: issue.number };
    for (let k = 0; k < 3; k++) {
      await client.rest.issues.createComment({ ...o, body: `c${k}` });
      clock += 10_000;
    }
    await client.rest.issues.get(o); // reads are not limited
    const refused = await refusal(client.rest.issues.createComment({ ...o, body: 'c3' }));
    expect(refused).toMatchObject({ status: 403 });
    // The first comment, at 0 s, leaves the minute at 60 s; it is 30 s now.
    expect(refused.response.headers['retry-after']).toBe('30');
    expect(refused.message).toMatch(/secondary rate limit/);
    clock += 30_000;
    await client.rest.issues.createComment({ ...o, body: 'c3' });
    clock += 60_000;
    await client.rest.issues.createComment({ ...o, body: 'c4' });
    const hourly = await refusal(client.rest.issues.createComment({ ...o, body: 'c5' }));
    expect(hourly).toMatchObject({ status: 403 });
    expect(Number(hourly.response.headers['retry-after'])).toBeGreaterThan(60);
    expect(issue.comments.map((c) => c.body)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(standIn.server.secondary.peakPerMinute).toBe(3);
    // A GraphQL mutation that creates content counts too; edits (a PATCH, marking ready) do not.
    await client.rest.issues.update({ ...o, title: 'Add greet(), loudly' });
    const mutation = await refusal(
      client.graphql(
        'mutation($id: ID!) { addComment(input: {subjectId: $id, body: "x"}) { clientMutationId } }',
        { id: 'I_1' },
      ),
    );
    expect(mutation).toMatchObject({ status: 403 });
    expect(standIn.problems()).toEqual([
      expect.stringMatching(/over the secondary rate limit \(a minute\); retry after 30 s/),
      expect.stringMatching(/over the secondary rate limit \(an hour\)/),
      expect.stringMatching(/^POST \/graphql \(a mutation\): over the secondary rate limit/),
    ]);
  });
});
