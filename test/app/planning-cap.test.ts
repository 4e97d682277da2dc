import { describe, expect, it } from 'vitest';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { appHarness, DIAMOND, type Harness } from '../support/app-harness.js';

const start = appHarness();

/** Every plan call costs `usd`; returns the count of plan calls. */
async function pricedPlanner(h: Harness, usd: number): Promise<{ plans: number }> {
  const scripted = await ScriptedPlanner.fromFile(DIAMOND);
  const count = { plans: 0 };
  h.planner = {
    label: scripted.label,
    plan: async (req) => {
      count.plans++;
      const r = await scripted.plan(req);
      return { ...r, calls: r.calls.map((c) => ({ ...c, costUsd: usd })) };
    },
    recover: (req) => scripted.recover(req),
    extractKnowledge: (req) => scripted.extractKnowledge(req),
    review: (req) => scripted.review(req),
    estimate: (p) => scripted.estimate(p),
  };
  return count;
}

async function relabel(h: Harness): Promise<void> {
  await h.deliver('issues', h.github.unlabel('gantry', 'maint'));
  await h.deliver('issues', h.github.label('gantry', 'maint'));
}

describe('planning spend per issue', () => {
  it('cancel and relabel cycles stop at budget.planningPerIssueUsd, with the figures and the fix', async () => {
    const h = await start();
    h.github.config = 'budget: { planningPerIssueUsd: 2.5 }\n';
    const count = await pricedPlanner(h, 1);
    await h.deliver('issues', h.github.label('gantry', 'maint'));
    expect(h.state().budget.issuePlanningMicros).toBe(1_000_000);
    await relabel(h);
    await relabel(h);
    expect(count.plans).toBe(3);
    expect(h.state().budget.issuePlanningMicros).toBe(3_000_000);
    // A fresh goal, but not a fresh planning budget: no planner call.
    await relabel(h);
    await relabel(h);
    expect(count.plans).toBe(3);
    const s = h.state();
    expect(s.status).toBe('failed');
    expect(s.note).toBe(
      'Planning this issue has cost $3.00 so far (plans and replans, across cancels and relabels), which reaches the $2.50 cap per issue, so Gantry did not ask the planner again. To plan it anyway, raise `budget.planningPerIssueUsd` in `.github/gantry.yml` on the default branch.\n\nThen comment `/gantry replan`.',
    );
    expect(h.plan().body).toContain('reaches the $2.50 cap per issue');

    // Raised: a replan plans again, and counts on.
    h.github.config = 'budget: { planningPerIssueUsd: 10 }\n';
    await h.deliver('issue_comment', h.github.addComment('/gantry replan', 'maint').payload);
    expect(count.plans).toBe(4);
    expect(h.state().status).toBe('awaiting-approval');
    expect(h.state().budget.issuePlanningMicros).toBe(4_000_000);
  });

  it('replans within one goal count too', async () => {
    const h = await start();
    h.github.config = 'budget: { planningPerIssueUsd: 1.5 }\n';
    const count = await pricedPlanner(h, 1);
    await h.deliver('issues', h.github.label('gantry', 'maint'));
    await h.deliver('issue_comment', h.github.addComment('/gantry replan', 'maint').payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry replan', 'maint').payload);
    expect(count.plans).toBe(2);
    expect(h.state().status).toBe('failed');
  });

  it('below the cap, a relabel plans as before', async () => {
    const h = await start();
    h.github.config = 'budget: { planningPerIssueUsd: 1 }\n';
    const count = await pricedPlanner(h, 0.25);
    await h.deliver('issues', h.github.label('gantry', 'maint'));
    await relabel(h);
    expect(count.plans).toBe(2);
    expect(h.state().budget.issuePlanningMicros).toBe(500_000);
    expect(h.state().status).toBe('awaiting-approval');
  });
});
