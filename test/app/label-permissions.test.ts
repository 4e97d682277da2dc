import { describe, expect, it } from 'vitest';
import type { Planner } from '../../src/planner/planner.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { appHarness, DIAMOND, type Harness } from '../support/app-harness.js';

const start = appHarness();

/** The diamond planner, counting its plan calls. */
async function counted(h: Harness): Promise<{ plans: number }> {
  const scripted = await ScriptedPlanner.fromFile(DIAMOND);
  const count = { plans: 0 };
  const planner: Planner = {
    label: scripted.label,
    plan: (req) => (count.plans++, scripted.plan(req)),
    recover: (req) => scripted.recover(req),
    extractKnowledge: (req) => scripted.extractKnowledge(req),
    review: (req) => scripted.review(req),
    estimate: (p) => scripted.estimate(p),
  };
  h.planner = planner;
  return count;
}

async function withRoles(): Promise<Harness> {
  const h = await start();
  h.github.roles.triager = 'triage';
  h.github.roles.reader = 'read';
  return h;
}

const lastReply = (h: Harness) => h.github.botComments().at(-1)?.body ?? '';

describe('who may add the trigger label', () => {
  it.each(['triager', 'reader', 'stranger'])(
    'a label added by %s plans nothing, calls no planner, and says who may add it, once',
    async (who) => {
      const h = await withRoles();
      const count = await counted(h);
      await h.deliver('issues', h.github.label('gantry', who));
      await h.sweep(); // level-triggered: the sweep decides from the issue's events the same way
      await h.sweep();
      expect(count.plans).toBe(0);
      const replies = h.github.botComments();
      expect(replies).toHaveLength(1);
      expect(replies[0]!.body).toBe(
        `@${who} added the \`gantry\` label, but Gantry plans an issue only when a person with write, maintain or admin access to this repository (or a bot listed in \`approval.allowBots\` of \`.github/gantry.yml\`) adds it: planning and running cost money. Nothing was planned; a maintainer can remove the label and add it again.`,
      );
      expect(h.github.issue().labels).toEqual(['gantry']);
    },
  );

  it('the actor comes from the issue events, not from the webhook payload', async () => {
    const h = await withRoles();
    const count = await counted(h);
    // The events say a triager added it; a (forged or stale) payload naming a maintainer does not count.
    const payload = h.github.label('gantry', 'triager');
    (payload.sender as { login: string }).login = 'maint';
    await h.deliver('issues', payload);
    expect(count.plans).toBe(0);
    expect(lastReply(h)).toMatch(/^@triager added the `gantry` label/);
  });

  it('a maintainer relabeling after a refused label plans', async () => {
    const h = await withRoles();
    await h.deliver('issues', h.github.label('gantry', 'triager'));
    await h.deliver('issues', h.github.unlabel('gantry', 'maint'));
    await h.deliver('issues', h.github.label('gantry', 'maint'));
    expect(h.state().status).toBe('awaiting-approval');
  });

  it('a bot that is not in approval.allowBots is ignored; an allow-listed one plans', async () => {
    const h = await start();
    const count = await counted(h);
    await h.deliver('issues', h.github.label('gantry', 'triage-helper[bot]'));
    expect(count.plans).toBe(0);
    expect(lastReply(h)).toMatch(/^@triage-helper\[bot\] added the `gantry` label/);

    h.github.config = 'approval: { allowBots: [triage-helper] }\n';
    await h.deliver('issues', h.github.unlabel('gantry', 'triage-helper[bot]'));
    await h.deliver('issues', h.github.label('gantry', 'triage-helper[bot]'));
    expect(count.plans).toBe(1);
    expect(h.state().status).toBe('awaiting-approval');
  });

  it('a triager relabeling a cancelled goal does not plan it again', async () => {
    const h = await withRoles();
    const count = await counted(h);
    await h.deliver('issues', h.github.label('gantry', 'maint'));
    await h.deliver('issues', h.github.unlabel('gantry', 'maint'));
    expect(h.state().status).toBe('cancelled');
    await h.deliver('issues', h.github.label('gantry', 'triager'));
    expect(count.plans).toBe(1);
    expect(h.state().status).toBe('cancelled');
  });
});

describe('who may remove the trigger label', () => {
  async function running(): Promise<Harness> {
    const h = await withRoles();
    await h.deliver('issues', h.github.label('gantry', 'maint'));
    const { payload } = h.github.addComment('/gantry approve', 'maint');
    await h.deliver('issue_comment', payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    expect(h.state().status).toBe('running');
    return h;
  }

  it('a triager removing it: the label is put back, with a reply, and the goal runs on', async () => {
    const h = await running();
    const runs = h.github.runs.length;
    await h.deliver('issues', h.github.unlabel('gantry', 'triager'));
    expect(h.github.issue().labels).toContain('gantry');
    expect(h.state().status).toBe('running');
    expect(h.github.runs.every((r) => r.status !== 'completed')).toBe(true);
    expect(h.github.runs.length).toBeGreaterThanOrEqual(runs);
    expect(lastReply(h)).toBe(
      '@triager removed the `gantry` label without write access to this repository, so Gantry put it back and the goal goes on. People with write, maintain or admin access can cancel it by removing the label or commenting `/gantry cancel`.',
    );
    // Again: the label comes back again, without a second reply.
    const replies = h.github.botComments().length;
    await h.deliver('issues', h.github.unlabel('gantry', 'triager'));
    expect(h.github.issue().labels).toContain('gantry');
    expect(h.github.botComments()).toHaveLength(replies);
    expect(h.state().status).toBe('running');
  });

  it('a removal found on a sweep (its webhook lost) is judged the same way', async () => {
    const h = await running();
    h.github.unlabel('gantry', 'triager');
    h.github.issue().updatedAt = h.clock.now; // what the sweep looks for
    await h.sweep();
    expect(h.github.issue().labels).toContain('gantry');
    expect(h.state().status).toBe('running');
  });

  it('while GitHub’s events lag behind the label, an older event is not taken for the removal', async () => {
    const h = await running();
    const issue = h.github.issue();
    const payload = h.github.unlabel('gantry', 'triager');
    const removal = issue.events.pop()!; // not listed yet: the latest event is the maintainer's label
    await h.deliver('issues', payload);
    expect(h.state().status).toBe('running');
    expect(issue.labels).not.toContain('gantry'); // nor put back on nobody's word
    issue.events.push(removal);
    await h.deliver('issues', payload);
    expect(issue.labels).toContain('gantry');
    expect(lastReply(h)).toMatch(/^@triager removed the `gantry` label/);
  });

  it('while the events lag behind an added label, nothing is planned until they say who added it', async () => {
    const h = await withRoles();
    const count = await counted(h);
    const issue = h.github.issue();
    await h.deliver('issues', h.github.label('gantry', 'maint'));
    await h.deliver('issues', h.github.unlabel('gantry', 'maint'));
    const payload = h.github.label('gantry', 'triager');
    const added = issue.events.pop()!; // the latest listed event is still the maintainer's removal
    const plans = count.plans;
    await h.deliver('issues', payload);
    expect(count.plans).toBe(plans);
    issue.events.push(added);
    await h.deliver('issues', payload);
    expect(count.plans).toBe(plans);
    expect(lastReply(h)).toMatch(/^@triager added the `gantry` label/);
  });

  it('a maintainer removing it cancels the goal', async () => {
    const h = await running();
    await h.deliver('issues', h.github.unlabel('gantry', 'maint'));
    expect(h.github.issue().labels).not.toContain('gantry');
    expect(h.state().status).toBe('cancelled');
    expect(h.github.runs.every((r) => r.status === 'completed')).toBe(true);
  });

  it('a bot removing it counts only when allow-listed', async () => {
    const h = await running();
    await h.deliver('issues', h.github.unlabel('gantry', 'stale[bot]'));
    expect(h.state().status).toBe('running');
    h.github.config = 'approval: { allowBots: ["stale[bot]"] }\n';
    await h.deliver('issues', h.github.unlabel('gantry', 'stale[bot]'));
    expect(h.state().status).toBe('cancelled');
  });
});
