import { describe, expect, it } from 'vitest';
import { renderPlanComment } from '../../src/core/checklist/render.js';
import { appHarness, KEY, type Harness } from '../support/app-harness.js';
import { tick } from '../../src/standin/ticks.js';

const start = appHarness();

async function planned(): Promise<Harness> {
  const h = await start();
  await h.deliver('issues', h.github.label('gantry'));
  expect(h.state().status).toBe('awaiting-approval');
  return h;
}

/** Someone edits the live plan comment; the webhook is delivered and handled. */
async function edit(h: Harness, change: (body: string) => string, sender: string) {
  const id = h.plan().id;
  await h.deliver('issue_comment', h.github.editComment(id, change, sender));
}

const statuses = (h: Harness) => h.state().tasks.map((t) => t.status);
const replies = (h: Harness) =>
  h.github.botComments().filter((c) => !c.body.startsWith('<!-- gantry:plan'));

describe('ticking the plan comment', () => {
  it('approves what a maintainer ticks, and Start moves the goal to running', async () => {
    const h = await planned();
    await edit(h, (b) => tick(b, ['T1', 'T2']), 'maint');
    expect(statuses(h)).toEqual(['approved', 'approved', 'proposed', 'proposed']);
    expect(h.state().tasks.at(0)!.approvedBy).toBe('maint');
    // The comment now shows exactly what Gantry holds.
    expect(h.plan().body).toBe(renderPlanComment(h.state(), { key: KEY }));
    expect(h.github.calls).toContain('permission');

    await edit(h, (b) => tick(b, ['Start']), 'maint');
    const s = h.state();
    expect(s.status).toBe('running');
    expect(s.startedBy).toBe('maint');
    expect(s.goalHead).toBe(h.github.head);
    expect(s.tasks.map((t) => t.status)).toEqual(['running', 'queued', 'excluded', 'excluded']);
    expect(h.github.issue().labels).toEqual(['gantry', 'gantry:running']);
    expect(h.plan().body).toContain('(started by @maint)');
    expect(replies(h)).toEqual([]);
  });

  it('shows the dependents of an unticked task as blocked before Start', async () => {
    const h = await planned();
    await edit(h, (b) => tick(b, ['T1', 'T2', 'T3', 'T4']), 'octocat');
    await edit(h, (b) => tick(b, ['T3'], false), 'octocat');
    expect(statuses(h)).toEqual(['approved', 'approved', 'excluded', 'approved']);
    expect(h.plan().body).toMatch(/\*\*T4\*\*.*⛔ blocked until T3 is ticked/);
  });

  it.each([
    ['a read-only user', 'reader', 'read'],
    ['a triage user', 'triager', 'triage'],
    ['an outsider', 'stranger', 'none'],
  ] as const)('reverts ticks by %s, with one reply', async (_who, login, role) => {
    const h = await planned();
    if (role !== 'none') h.github.roles[login] = role;
    const original = h.plan().body;
    await edit(h, (b) => tick(b, ['T1', 'Start']), login);
    expect(statuses(h)).toEqual(['proposed', 'proposed', 'proposed', 'proposed']);
    expect(h.plan().body).toBe(original);
    expect(replies(h).map((c) => c.body)).toEqual([
      `@${login}: only people with write, maintain or admin access to this repository can approve or change a Gantry plan (you have ${role === 'none' ? 'no' : role} access). Gantry left the goal as it was.`,
    ]);
    // A second try is reverted again, without a second reply.
    await edit(h, (b) => tick(b, ['T2']), login);
    expect(h.plan().body).toBe(original);
    expect(replies(h)).toHaveLength(1);
  });

  it('reverts ticks by a bot without asking GitHub or replying', async () => {
    const h = await planned();
    const original = h.plan().body;
    const asked = () => h.github.calls.filter((c) => c === 'permission').length;
    const before = asked(); // who added the label was asked about
    await edit(h, (b) => tick(b, ['T1']), 'helper[bot]');
    expect(h.plan().body).toBe(original);
    expect(statuses(h)[0]).toBe('proposed');
    expect(replies(h)).toEqual([]);
    expect(asked()).toBe(before);
  });

  it('refuses a tampered state, restores the comment and says why once', async () => {
    const h = await planned();
    const original = h.plan().body;
    const forged = (b: string) =>
      tick(b, ['T1']).replace(
        /(<!-- gantry:state v1 [A-Za-z0-9_-]+)\.[0-9a-f]{64}/,
        `$1.${'0'.repeat(64)}`,
      );
    await edit(h, forged, 'maint');
    expect(h.plan().body).toBe(original);
    expect(statuses(h)[0]).toBe('proposed');
    expect(replies(h).map((c) => c.body)).toEqual([
      '@maint: the hidden Gantry state in the plan comment was changed (the Gantry state signature does not match). Gantry restored the comment and did not apply the edit.',
    ]);
  });

  it('refuses an older signed state pasted back in', async () => {
    const h = await planned();
    const old = h.plan().body;
    await edit(h, (b) => tick(b, ['T1']), 'maint');
    const approved = h.plan().body;
    // Paste the older comment (with T2 ticked) over the newer one.
    await edit(h, () => tick(old, ['T2']), 'maint');
    expect(statuses(h)).toEqual(['approved', 'proposed', 'proposed', 'proposed']);
    expect(h.plan().body).toBe(approved);
    expect(replies(h).at(-1)?.body).toContain('was replaced by another version');
  });

  it('takes edited task text while awaiting approval', async () => {
    const h = await planned();
    await edit(
      h,
      (b) => b.replace('**T3** Document greet()', '**T3** Document greet() in the README'),
      'dev',
    );
    expect(h.state().plan?.tasks[2]?.title).toBe('Document greet() in the README');
    expect(h.plan().body).toContain('**T3** Document greet() in the README');
  });

  it('does not start without an approved task, and says why', async () => {
    const h = await planned();
    await edit(h, (b) => tick(b, ['Start']), 'maint');
    expect(h.state().status).toBe('awaiting-approval');
    expect(h.plan().body).toContain('- [ ] <!-- gantry:start -->');
    expect(replies(h).map((c) => c.body)).toEqual([
      '@maint: the goal did not start: no task is approved: tick at least one task before Start.',
    ]);
  });

  it('does not start without the task workflow, and says how to add it', async () => {
    const h = await planned();
    await edit(h, (b) => tick(b, ['T1']), 'maint');
    h.github.files.delete('.github/workflows/gantry-task.yml');
    await edit(h, (b) => tick(b, ['Start']), 'maint');
    expect(h.state().status).toBe('awaiting-approval');
    const bodies = replies(h).map((c) => c.body);
    expect(bodies[0]).toContain('Gantry needs its task workflow');
    expect(bodies[1]).toContain('the task workflow `.github/workflows/gantry-task.yml` is missing');
  });

  it('ignores the webhook of its own edit: no request at all', async () => {
    const h = await planned();
    const id = h.plan().id;
    const before = h.github.calls.length;
    // Gantry's last write comes back as an edit by the bot.
    const payload = h.github.editComment(id, (b) => b, 'gantry[bot]');
    await h.deliver('issue_comment', payload);
    expect(h.github.calls.length).toBe(before);
  });
});
