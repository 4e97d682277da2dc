import { describe, expect, it } from 'vitest';
import { UNDONE_REPLY } from '../../src/app/lost-edits.js';
import { tick } from '../../src/standin/ticks.js';
import { scenario } from '../support/standin-scenario.js';
import { appCalls } from './figures.js';

describe('the App against the stand-in: planning and who may approve', () => {
  it('a maintainer labels an issue over HTTP: the App plans it and posts the plan comment', async () => {
    const w = await scenario();
    await w.label();
    await w.settle();
    expect(w.state()).toMatchObject({ status: 'awaiting-approval', planVersion: 1 });
    expect(w.issue.labels).toEqual(['gantry', 'gantry:awaiting-approval']);
    // The App authenticated as a GitHub App does: a JWT for an installation token.
    const calls = w.standIn.server.requests;
    expect(calls).toContainEqual({ by: 'gantry', call: 'POST /app/installations/1/access_tokens' });
    // Everything else the App did, it did as its installation, never with the JWT.
    expect(calls.filter((r) => r.by === 'gantry').map((r) => r.call.split(' ')[1])).toEqual([
      '/app/installations/1/access_tokens',
    ]);
    expect(calls).toContainEqual({
      by: 'gantry[bot]',
      call: 'POST /repos/octo/greeting/issues/1/comments',
    });
    // Every request and webhook was one GitHub would accept and send.
    expect(w.standIn.problems()).toEqual([]);
    const sent = w.standIn.webhooks.deliveries;
    expect(sent.filter((d) => d.outcome !== 200)).toEqual([]);
    expect(sent.map((d) => `${d.event}.${d.action}`)).toContain('issues.labeled');
  });

  it('a requirement no task covers is flagged in the plan comment before approval; Start still works', async () => {
    // The planner's T3 (the README) no longer says it covers R3 (documentation).
    const w = await scenario({
      plan: (p) => {
        const plan = p.plans[0] as { tasks: { id: string; covers?: number[] }[] };
        delete plan.tasks.find((t) => t.id === 'T3')!.covers;
      },
    });
    await w.label();
    await w.settle();
    expect(w.state()).toMatchObject({ status: 'awaiting-approval' });
    const body = w.planComment()!.body;
    const lines = body.split('\n');
    const warning = lines.findIndex((l) => l.startsWith('> ⚠️ **Requirements not covered:**'));
    expect(lines[warning]).toContain('no task covers **R3**');
    // Above the boxes the maintainer ticks, and the list says which tasks cover the others.
    expect(warning).toBeLessThan(lines.findIndex((l) => l.includes('gantry:task=T1')));
    expect(body).toContain(
      '- **R3** greet() is documented in the README · ⚠️ **covered by no task**',
    );
    expect(body).toContain('- **R4** greet() is exported from the package · covered by T4');
    // The maintainer decides: ticking everything and Start runs the goal.
    await w.tick(['T1', 'T2', 'T3', 'T4', 'Start']);
    await w.settle(() => w.state().status === 'running');
    expect(w.state().status).toBe('running');
    expect(w.planComment()!.body).not.toContain('Requirements not covered');
    expect(w.standIn.problems()).toEqual([]);
  });

  it('2. a read-only user, a triage user and another app tick boxes: nothing runs', async () => {
    const w = await scenario();
    await w.label();
    await w.settle();
    const plan = w.planComment()!;
    const planned = plan.body;
    const ticked = tick(planned, ['T1', 'T2', 'T3', 'T4', 'Start']);
    const edit = { owner: w.where.owner, repo: w.where.repo, comment_id: plan.id, body: ticked };
    // GitHub itself refuses an edit of someone else's comment without write access.
    for (const login of ['reader', 'tri', 'outsider'])
      await expect(w.standIn.as(login).rest.issues.updateComment(edit)).rejects.toMatchObject({
        status: 403,
      });
    // Another app may edit it: Gantry puts the plan back.
    await w.standIn.as('other[bot]', { id: 7, slug: 'other' }).rest.issues.updateComment(edit);
    await w.settle();
    expect(plan.body).toBe(planned);
    expect(w.state().status).toBe('awaiting-approval');
    // Commands from people without write access are refused too.
    await w.comment('/gantry start', w.standIn.as('tri'));
    await w.settle();
    expect(w.state().status).toBe('awaiting-approval');
    expect(w.issue.labels).not.toContain('gantry:running');
    expect(w.runs()).toEqual([]);
    expect(w.standIn.problems()).toEqual([]);
    // Nothing lands, so all calls are bounded: seen 20 (plan, undo an edit, refuse a command) x1.5
    expect(appCalls('refused ticks', w)).toBeLessThanOrEqual(30);
  });

  it('a tick whose webhook was lost is taken on the sweep, from the comment’s edit history', async () => {
    const w = await scenario();
    await w.label();
    await w.settle();
    w.standIn.webhooks.setChaos({ drop: 1 });
    // A long history (Gantry edits the plan a few times per task): it is read page by page.
    const plan = w.planComment()!;
    for (let k = 0; k < 150; k++) plan.edits!.push({ editor: 'gantry[bot]', at: plan.createdAt });
    await w.tick(['T1', 'T2', 'T3', 'T4', 'Start']);
    await w.settle();
    expect(w.state().status).toBe('awaiting-approval'); // the App saw nothing
    await w.app.app.reconcileAll();
    await w.settle();
    const s = w.state();
    expect(s.status).toBe('running');
    expect(s.tasks.map((t) => t.approvedBy)).toEqual(['maint', 'maint', 'maint', 'maint']);
    const history = w.standIn.server.requests.filter((r) => r.query?.includes('userContentEdits'));
    expect(history).toHaveLength(2); // two pages of history
    expect(w.standIn.problems()).toEqual([]);
  });

  it('a late (not lost) tick webhook, after the sweep took the edit, changes nothing', async () => {
    const w = await scenario();
    await w.label();
    await w.settle();
    await w.tick(['T1', 'T2', 'T3', 'T4', 'Start']);
    // The sweep runs before the edit's webhook is delivered.
    await w.app.app.reconcileAll();
    await w.app.app.idle();
    expect(w.state().status).toBe('running');
    await w.settle();
    expect(w.standIn.webhooks.deliveries.some((d) => d.event === 'issue_comment')).toBe(true);
    expect(w.replies()).toEqual([]);
    expect(w.state().tasks.map((t) => t.approvedBy)).toEqual(['maint', 'maint', 'maint', 'maint']);
    expect(new Set(w.runs()).size).toBe(w.runs().length);
  });

  it('lost edits are never approvals when the history does not vouch for every change', async () => {
    const w = await scenario();
    w.standIn.store.repo(w.where.owner, w.where.repo)!.roles.set('maint2', 'write');
    await w.label();
    await w.settle();
    w.standIn.webhooks.setChaos({ drop: 1 });
    const plan = w.planComment()!;
    const planned = plan.body;
    const edit = (body: string) => ({
      owner: w.where.owner,
      repo: w.where.repo,
      comment_id: plan.id,
      body,
    });
    const other = w.standIn.as('other[bot]', { id: 7, slug: 'other' });
    const sweep = async () => {
      await w.app.app.reconcileAll();
      await w.settle();
    };
    // Another app's lost edit: undone, quietly (apps' edits carry no intent).
    await other.rest.issues.updateComment(edit(tick(planned, ['T1', 'Start'])));
    await sweep();
    expect(plan.body).toBe(planned);
    expect(w.replies()).toEqual([]);
    // Another app ticks T2-T4 and Start, then the maintainer ticks T1: the app's ticks are not
    // the maintainer's, so nothing is taken.
    await other.rest.issues.updateComment(edit(tick(planned, ['T2', 'T3', 'T4', 'Start'])));
    await w.maint.rest.issues.updateComment(edit(tick(planned, ['T1', 'T2', 'T3', 'T4', 'Start'])));
    await sweep();
    expect(w.state().status).toBe('awaiting-approval');
    expect(w.state().tasks.every((t) => t.approvedBy === undefined)).toBe(true);
    expect(plan.body).toBe(planned);
    expect(w.replies().map((c) => c.body)).toEqual([UNDONE_REPLY]);
    // Two people's lost edits: nobody can say who ticked what.
    await w.maint.rest.issues.updateComment(edit(tick(planned, ['T1'])));
    await w.standIn.as('maint2').rest.issues.updateComment(edit(tick(planned, ['T1', 'Start'])));
    await sweep();
    expect(w.state().tasks.every((t) => t.approvedBy === undefined)).toBe(true);
    expect(plan.body).toBe(planned);
    expect(w.replies().map((c) => c.body)).toEqual([UNDONE_REPLY, UNDONE_REPLY]);
    expect(w.runs()).toEqual([]);
    expect(w.standIn.problems()).toEqual([]);
  });

  it('closing the issue: refused to an outsider by GitHub, cancels a running goal for the maintainer', async () => {
    const w = await scenario();
    await w.label();
    await w.settle();
    await w.tick(['T1', 'T2', 'T3', 'T4', 'Start']);
    await w.settle(() => w.runs().length >= 1);
    const close = { ...w.where, state: 'closed' as const };
    await expect(w.standIn.as('outsider').rest.issues.update(close)).rejects.toMatchObject({
      status: 403,
    });
    await w.maint.rest.issues.update(close);
    await w.settle();
    const s = w.state();
    expect(s.status).toBe('cancelled');
    expect(w.issue.labels).toEqual(['gantry']); // no state label: the goal is over
    expect(w.standIn.problems()).toEqual([]);
  });
});
