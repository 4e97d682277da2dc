import { describe, expect, it } from 'vitest';
import { PLAN_RETRY_DELAYS_MS } from '../../src/app/planning.js';
import { PlannerTransientError } from '../../src/planner/errors.js';
import type { Planner } from '../../src/planner/planner.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { appHarness, DIAMOND } from '../support/app-harness.js';

const start = appHarness();

/** The diamond planner, whose first `failures` plans fail as the API's 500 does after retries. */
async function flakyPlanner(failures: number): Promise<{ planner: Planner; asked: () => number }> {
  const scripted = await ScriptedPlanner.fromFile(DIAMOND);
  let asked = 0;
  const planner: Planner = {
    label: scripted.label,
    plan: (req) => {
      asked++;
      if (asked <= failures) {
        const e = new PlannerTransientError(
          'Anthropic API 500: internal',
          'The Anthropic API failed (500), even after retries. Gantry will try again later.',
          500,
        );
        e.calls = [];
        return Promise.reject(e);
      }
      return scripted.plan(req);
    },
    recover: (req) => scripted.recover(req),
    extractKnowledge: (req) => scripted.extractKnowledge(req),
    review: (req) => scripted.review(req),
    estimate: (p) => scripted.estimate(p),
  };
  return { planner, asked: () => asked };
}

describe('a planner that fails for a passing reason', () => {
  it('keeps the goal planning, says when it tries again, waits until then, and plans', async () => {
    const h = await start();
    const flaky = await flakyPlanner(2);
    h.planner = flaky.planner;
    await h.deliver('issues', h.github.label('gantry'));
    expect(flaky.asked()).toBe(1);
    expect(h.state()).toMatchObject({ status: 'planning', planRetry: { attempts: 1 } });
    expect(h.plan().body).toContain('The Anthropic API failed (500), even after retries.');
    expect(h.plan().body).toMatch(/Gantry tries again after 2023-11-14 22:14 UTC \(retry 1 of 6\)/);
    expect(h.github.issue().labels).not.toContain('gantry:failed');

    // A sweep before the time does not ask again.
    await h.sweep();
    expect(flaky.asked()).toBe(1);

    h.clock.now += PLAN_RETRY_DELAYS_MS[0]!;
    await h.sweep();
    expect(flaky.asked()).toBe(2);
    expect(h.state()).toMatchObject({ status: 'planning', planRetry: { attempts: 2 } });
    expect(h.plan().body).toContain('(retry 2 of 6)');

    h.clock.now += PLAN_RETRY_DELAYS_MS[1]!;
    await h.sweep();
    expect(flaky.asked()).toBe(3);
    expect(h.state().status).toBe('awaiting-approval');
    expect(h.state().planRetry).toBeUndefined();
    expect(h.state().plan?.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
  });

  it('fails for good after the last retry, saying how often it asked and how to go on', async () => {
    const h = await start();
    const flaky = await flakyPlanner(100);
    h.planner = flaky.planner;
    await h.deliver('issues', h.github.label('gantry'));
    for (const wait of PLAN_RETRY_DELAYS_MS) {
      h.clock.now += wait;
      await h.sweep();
    }
    expect(flaky.asked()).toBe(PLAN_RETRY_DELAYS_MS.length + 1);
    expect(h.state().status).toBe('failed');
    expect(h.plan().body).toContain(
      'The Anthropic API failed (500), even after retries. Gantry asked 7 times over about an hour and gives up for now.',
    );
    expect(h.plan().body).toContain('/gantry replan');
    // Failed, the goal is not asked again.
    h.clock.now += 3600_000;
    await h.sweep();
    expect(flaky.asked()).toBe(7);
  });
});
