import { pino } from 'pino';
import { Probot, type ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { StandIn } from '../../src/standin/stand-in.js';
import type { WebhookEvent } from '../../src/standin/webhook-payloads.js';

const R = { owner: 'octo', repo: 'refs' };
const FULL = `${R.owner}/${R.repo}`;
const ZERO = '0'.repeat(40);
const UPDATE_REFS =
  'mutation($input: UpdateRefsInput!) { updateRefs(input: $input) { clientMutationId } }';

let standIn: StandIn;
afterEach(() => standIn?.close());

/** A stand-in with one repository (its CI passes at once), its branches, and the webhooks sent. */
async function world() {
  const events: WebhookEvent[] = [];
  standIn = await StandIn.start({ actionDir: GANTRY_DIR, onWebhook: (e) => events.push(e) });
  await standIn.addRepo(FULL, { 'README.md': '# refs\n' }, { roles: {}, ci: 'true' });
  const probot = new Probot({
    appId: standIn.app.id,
    privateKey: standIn.app.privateKey,
    baseUrl: standIn.apiUrl,
    log: pino({ level: 'silent' }),
  });
  const asApp = await probot.auth();
  const client = async (permissions?: Record<string, 'read' | 'write'>) => {
    const { data } = await asApp.rest.apps.createInstallationAccessToken({
      installation_id: 1,
      ...(permissions && { permissions }),
    });
    return standIn.client(data.token);
  };
  const main = (await standIn.git.branchSha(FULL, 'main'))!;
  const who = { name: 'Octo Cat', email: 'octocat@example.com' };
  const next = await standIn.git.commitFiles(FULL, main, { 'a.txt': 'a\n' }, 'a', who);
  const side = await standIn.git.commitFiles(FULL, main, { 'b.txt': 'b\n' }, 'b', who);
  for (const b of ['q/1', 'q/2', 'q/3']) await standIn.git.createBranch(FULL, b, main);
  const branches = async () =>
    Promise.all(['q/1', 'q/2', 'q/3', 'q/4'].map((b) => standIn.git.branchSha(FULL, b)));
  /** Every webhook the stand-in sent once CI of what was pushed is over, by event name. */
  const sent = async () => {
    while (standIn.server.busy) await standIn.server.nextDone();
    return events.splice(0).map((e) => e.name);
  };
  return { client, main, next, side, branches, sent };
}

/** GraphQL's raw answer (Octokit's `graphql` throws on `errors`; GitHub answers 200). */
async function updateRefs(client: ProbotOctokit, refUpdates: object[]) {
  const url = `${standIn.apiUrl.replace(/\/v3$/, '')}/graphql`;
  const input = { repositoryId: `R_${R.repo}`, refUpdates, clientMutationId: 'm1' };
  const { data } = await client.request(`POST ${url}`, {
    query: UPDATE_REFS,
    variables: { input },
  });
  return data as { data?: unknown; errors?: { message: string; type?: string }[] };
}

const del = (b: string) => ({ name: `refs/heads/${b}`, afterOid: ZERO });

describe('GraphQL updateRefs on the stand-in', () => {
  it('makes, moves and deletes refs in one mutation, with the webhooks the REST ref endpoints send', async () => {
    const w = await world();
    const client = await w.client();
    // REST first: a deletion sends nothing, a new ref is a push (its CI's check run and suite).
    await client.rest.git.deleteRef({ ...R, ref: 'heads/q/3' });
    const restDelete = await w.sent();
    await client.rest.git.createRef({ ...R, ref: 'refs/heads/q/3', sha: w.main });
    const restCreate = await w.sent();
    expect(restCreate).toContain('check_suite');

    expect(await updateRefs(client, [del('q/1'), del('q/2')])).toEqual({
      data: { updateRefs: { clientMutationId: 'm1' } },
    });
    expect(await w.sent()).toEqual(restDelete);
    expect(
      await updateRefs(client, [
        { name: 'refs/heads/q/4', afterOid: w.next },
        { name: 'refs/heads/q/3', afterOid: w.next, beforeOid: w.main },
      ]),
    ).toEqual({ data: { updateRefs: { clientMutationId: 'm1' } } });
    expect(await w.sent()).toEqual([...restCreate, ...restCreate]);
    expect(await w.branches()).toEqual([undefined, undefined, w.next, w.next]);
    expect(standIn.problems()).toEqual([]);
  });

  it.each([
    ['a beforeOid that does not match', (n: string) => ({ ...del('q/2'), beforeOid: n })],
    ['a move that is not a fast-forward', (n: string) => ({ name: 'refs/heads/q/2', afterOid: n })],
    ['a ref to delete that does not exist', () => del('q/4')],
  ])('refuses the whole batch for %s: every ref stays as it was', async (_, bad) => {
    const w = await world();
    const client = await w.client();
    await client.rest.git.updateRef({ ...R, ref: 'heads/q/2', sha: w.next });
    await w.sent();
    const before = await w.branches();
    const answer = await updateRefs(client, [del('q/1'), bad(w.side), del('q/3')]);
    expect(answer).toMatchObject({
      data: { updateRefs: null },
      errors: [{ type: 'UNPROCESSABLE', message: expect.stringMatching(/No ref was updated/) }],
    });
    expect(await w.branches()).toEqual(before);
    expect(await w.sent()).toEqual([]);
    expect(standIn.problems()).toEqual([]);
  });

  it("moves a branch forward from its beforeOid and deletes others at once (the App's advance), all or nothing", async () => {
    const w = await world();
    const client = await w.client();
    // Someone pushed q/1 to `side`: a move to `next` from `main`, not forced, is refused, and with
    // it the deletions in the same batch.
    await client.rest.git.updateRef({ ...R, ref: 'heads/q/1', sha: w.side, force: true });
    await w.sent();
    const before = await w.branches();
    const advance = (from: string) => ({
      name: 'refs/heads/q/1',
      afterOid: w.next,
      beforeOid: from,
    });
    for (const from of [w.main, w.side])
      expect(await updateRefs(client, [advance(from), del('q/2'), del('q/3')])).toMatchObject({
        data: { updateRefs: null },
        errors: [{ type: 'UNPROCESSABLE', message: expect.stringMatching(/No ref was updated/) }],
      });
    expect(await w.branches()).toEqual(before);
    expect(await w.sent()).toEqual([]);
    // Back at `main`: a fast-forward, taken with the deletions; q/1's push sends its webhooks.
    await client.rest.git.updateRef({ ...R, ref: 'heads/q/1', sha: w.main, force: true });
    const pushed = await w.sent();
    expect(await updateRefs(client, [advance(w.main), del('q/2'), del('q/3')])).toEqual({
      data: { updateRefs: { clientMutationId: 'm1' } },
    });
    expect(await w.branches()).toEqual([w.next, undefined, undefined, undefined]);
    expect(await w.sent()).toEqual(pushed);
    expect(standIn.git.forced.filter((f) => f.to === w.next)).toEqual([]);
    expect(standIn.problems()).toEqual([]);
  });

  it('forces a move that is not a fast-forward when asked', async () => {
    const w = await world();
    const client = await w.client();
    await client.rest.git.updateRef({ ...R, ref: 'heads/q/2', sha: w.next });
    await updateRefs(client, [{ name: 'refs/heads/q/2', afterOid: w.side, force: true }]);
    expect((await w.branches())[1]).toBe(w.side);
    expect(standIn.git.forced).toMatchObject([{ branch: 'q/2', from: w.next, to: w.side }]);
  });

  it('needs contents: write, as the REST ref endpoints do', async () => {
    const w = await world();
    const client = await w.client({ contents: 'read', metadata: 'read' });
    const before = await w.branches();
    expect(await updateRefs(client, [del('q/1'), del('q/2')])).toMatchObject({
      data: { updateRefs: null },
      errors: [{ type: 'FORBIDDEN', message: 'Resource not accessible by integration' }],
    });
    expect(await w.branches()).toEqual(before);
    expect(standIn.problems()).toEqual([expect.stringMatching(/^GraphQL needs contents: write/)]);
  });
});
