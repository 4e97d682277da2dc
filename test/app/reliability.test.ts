import { describe, expect, it } from 'vitest';
import { renderPlanComment } from '../../src/core/checklist/render.js';
import { initGoal } from '../../src/core/goal.js';
import { appHarness, KEY, NOW, type Harness } from '../support/app-harness.js';
import { tick } from '../../src/standin/ticks.js';
import { GANTRY_APP_ID, GANTRY_BOT } from '../support/memory-github.js';

const start = appHarness();

async function planned(): Promise<Harness> {
  const h = await start();
  await h.deliver('issues', h.github.label('gantry'));
  return h;
}

const planComments = (h: Harness) =>
  h.github.botComments().filter((c) => c.body.startsWith('<!-- gantry:plan'));

describe('the goal follows the issue', () => {
  it('closing the issue cancels the goal', async () => {
    const h = await planned();
    await h.deliver('issues', h.github.close());
    expect(h.state().status).toBe('cancelled');
    expect(h.plan().body).toContain('Cancelled: the issue was closed.');
    expect(h.github.issue().labels).toEqual(['gantry']);
  });

  it('removing the label cancels the goal, and labeling again plans a new one', async () => {
    const h = await planned();
    const first = h.plan();
    await h.deliver('issues', h.github.unlabel('gantry'));
    expect(h.state().status).toBe('cancelled');
    expect(h.plan().body).toContain('Cancelled: the `gantry` label was removed.');
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.plan().id).not.toBe(first.id);
    expect(h.state().status).toBe('awaiting-approval');
    expect(first.body).toMatch(/^<!-- gantry:superseded -->/);
  });

  it('offers a replan, once, when the issue body changes while awaiting approval', async () => {
    const h = await planned();
    await h.deliver('issues', h.github.editIssue('Limit clients per token, not per IP.'));
    await h.deliver('issues', h.github.editIssue('Limit clients per token.'));
    const offers = h.github.botComments().filter((c) => c.body.startsWith('The issue changed'));
    expect(offers.map((c) => c.body)).toEqual([
      'The issue changed after plan v1 was made. Comment `/gantry replan` to plan it again from the new text (with optional feedback after the verb).',
    ]);
  });

  it('ignores edits, closes and labels of issues that are not goals after reading the config', async () => {
    const h = await start();
    h.github.addIssue({ number: 2, title: 'Unrelated', labels: ['bug'] });
    await h.deliver('issues', h.github.close('octocat', 2));
    await h.deliver('issues', h.github.editIssue('new text', 'octocat', 2));
    await h.deliver('issues', h.github.unlabel('bug', 'octocat', 2));
    expect(h.github.calls.every((c) => c === 'readConfig')).toBe(true);
  });
});

describe('reliability', () => {
  it('handles the same delivery once: one plan', async () => {
    const h = await start();
    const payload = h.github.label('gantry');
    await h.deliver('issues', payload, 'same-guid');
    await h.deliver('issues', payload, 'same-guid');
    expect(planComments(h)).toHaveLength(1);
    // One comment posted and one label added.
    expect(h.github.writes().filter((w) => w === 'createComment' || w === 'addLabels')).toEqual([
      'createComment',
      'addLabels',
    ]);
  });

  it('a second labeled delivery (another id) finds the plan and plans nothing more', async () => {
    const h = await planned();
    await h.deliver('issues', h.github.label('gantry'));
    expect(planComments(h)).toHaveLength(1);
  });

  it('on start-up, plans a labeled issue whose webhook was lost', async () => {
    const h = await start();
    h.github.label('gantry'); // labeled while the app was down: its webhook never came
    await h.sweep();
    expect(h.state().status).toBe('awaiting-approval');
    expect(h.github.issue().labels).toContain('gantry:awaiting-approval');
  });

  it('on start-up, finishes a plan that a crash interrupted', async () => {
    const h = await start();
    const issue = h.github.issue();
    issue.labels.push('gantry');
    const planning = initGoal({
      repo: 'Codertocat/Hello-World',
      issue: 1,
      title: issue.title,
      at: NOW,
    });
    issue.comments.push({
      id: 42,
      body: renderPlanComment(planning, { key: KEY }),
      author: { login: GANTRY_BOT, bot: true },
      appId: GANTRY_APP_ID,
      htmlUrl: 'https://github.com/Codertocat/Hello-World/issues/1#issuecomment-42',
    });
    await h.sweep();
    expect(h.plan().id).toBe(42);
    expect(h.state().status).toBe('awaiting-approval');
    expect(planComments(h)).toHaveLength(1);
  });

  it('on a sweep, cancels a goal whose issue was closed while the app was down', async () => {
    const h = await planned();
    h.github.issue().state = 'closed';
    h.github.issue().updatedAt = NOW;
    await h.sweep();
    expect(h.state().status).toBe('cancelled');
  });

  it('a sweep of settled goals writes nothing', async () => {
    const h = await planned();
    const writes = h.github.writes().length;
    await h.sweep();
    expect(h.github.writes()).toHaveLength(writes);
  });

  it('coalesces a burst of events into few reconciles and skips unchanged writes', async () => {
    const h = await planned();
    const before = h.github.calls.length;
    // GitHub answers nothing until all ten are in: the first reconcile is still at work.
    const release = h.github.hold();
    for (let i = 0; i < 10; i++) {
      const { payload } = h.github.addComment('/gantry approve', 'maint');
      await h.send('issue_comment', payload);
    }
    release();
    await h.app.idle();
    const reads = h.github.calls.slice(before).filter((c) => c === 'getIssue');
    // The first approve runs alone; the other nine are handled in one more reconcile.
    expect(reads).toHaveLength(2);
    const patches = h.github.writes().filter((w) => w === 'updateComment');
    expect(patches).toHaveLength(2); // the plan, then the approvals: repeats change nothing
  });

  it('restores a plan comment whose state was broken while the app ran', async () => {
    const h = await planned();
    const live = h.plan();
    const good = live.body;
    live.body = live.body.replace(/gantry:state v1 \S+ -->/, 'gantry:state v1 broken -->');
    await h.sweep();
    expect(live.body).toBe(good);
  });

  it('after a restart, a plan comment whose state cannot be read is reported once; /gantry replan starts over', async () => {
    const h = await start();
    const issue = h.github.issue();
    issue.labels.push('gantry', 'gantry:awaiting-approval');
    const s = initGoal({ repo: 'Codertocat/Hello-World', issue: 1, title: issue.title, at: NOW });
    const live = {
      id: 42,
      body: renderPlanComment(s, { key: KEY }).replace(
        /gantry:state v1 \S+ -->/,
        'gantry:state v1 broken -->',
      ),
      author: { login: GANTRY_BOT, bot: true },
      appId: GANTRY_APP_ID,
      htmlUrl: 'https://github.com/Codertocat/Hello-World/issues/1#issuecomment-42',
    };
    issue.comments.push(live);
    await h.sweep();
    await h.sweep();
    const notes = h.github.botComments().filter((c) => c.body.startsWith('The hidden state'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain('`/gantry replan`');
    const { payload } = h.github.addComment('/gantry replan', 'maint');
    await h.deliver('issue_comment', payload);
    expect(h.plan().id).not.toBe(42);
    expect(h.state().status).toBe('awaiting-approval');
    expect(live.body).toMatch(/^<!-- gantry:superseded -->/);
  });

  it('refuses the state of an earlier goal on the issue pasted into the new plan', async () => {
    const h = await planned();
    await h.deliver('issues', h.github.unlabel('gantry'));
    const oldGoal = h.plan().body; // cancelled, a higher revision than the new goal's
    await h.deliver('issues', h.github.label('gantry'));
    const fresh = h.plan().body;
    await h.deliver(
      'issue_comment',
      h.github.editComment(h.plan().id, () => oldGoal, 'maint'),
    );
    expect(h.plan().body).toBe(fresh);
    expect(h.state().status).toBe('awaiting-approval');
  });

  it("ignores another app's comment that looks like a plan", async () => {
    const h = await planned();
    const ours = h.plan();
    h.github.addComment('<!-- gantry:plan -->\nNot really a plan', 'mimic[bot]');
    await h.sweep();
    expect(h.plan().id).toBe(ours.id);
    expect(h.github.botComments().filter((c) => c.body.startsWith('The hidden state'))).toEqual([]);
  });

  it('keeps the plan when a maintainer types text before it, and tidies the comment', async () => {
    const h = await planned();
    const body = h.plan().body;
    await h.deliver(
      'issue_comment',
      h.github.editComment(h.plan().id, (b) => `Note: ${b}`, 'maint'),
    );
    expect(planComments(h)).toHaveLength(1);
    await h.sweep();
    expect(h.plan().body).toBe(body);
  });

  it('posts the plan again when its comment was deleted', async () => {
    const h = await planned();
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    const issue = h.github.issue();
    issue.comments = issue.comments.filter((c) => c.id !== h.plan().id);
    await h.sweep();
    expect(h.state().tasks.map((t) => t.status)).toEqual([
      'approved',
      'approved',
      'approved',
      'approved',
    ]);
  });

  it('pauses, not cancels, a running goal when someone without write access closes the issue', async () => {
    const h = await planned();
    h.github.roles.author = 'read';
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    await h.deliver('issues', h.github.close('author'));
    expect(h.state().status).toBe('paused');
    expect(h.github.botComments().at(-1)?.body).toContain(
      '@author closed this issue without write access to the repository, so the running goal is paused, not cancelled.',
    );
  });

  it('keeps a tick when GitHub fails once while checking who made it', async () => {
    const h = await planned();
    h.github.failNext('permission', 502);
    await h.deliver(
      'issue_comment',
      h.github.editComment(h.plan().id, (b) => tick(b, ['T1']), 'maint'),
    );
    expect(h.state().tasks.at(0)!.status).toBe('approved');
  });

  it('a sweep goes on past a repository it cannot read', async () => {
    const h = await planned();
    h.github.brokenRepo = true; // listed first; its issues answer 410
    h.github.issue().state = 'closed';
    h.github.issue().updatedAt = NOW;
    await h.sweep();
    expect(h.github.calls).toContain('listIssues Codertocat/Broken');
    expect(h.state().status).toBe('cancelled');
  });
});
