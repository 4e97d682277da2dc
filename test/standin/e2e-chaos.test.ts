import { describe, expect, it } from 'vitest';
import { scenario, type Scenario } from '../support/standin-scenario.js';
import { perLandedTask } from './figures.js';

const ALL = ['T1', 'T2', 'T3', 'T4', 'Start'];

/** Each task attempt ran once: no dispatch twice, whatever happened to the webhooks. */
function ranOnce(w: Scenario): void {
  const runs = w.runs();
  expect(new Set(runs).size).toBe(runs.length);
  const dispatches = w.appRequests().filter((c) => c.endsWith('/gantry-task.yml/dispatches'));
  expect(dispatches).toHaveLength(runs.length);
}

describe('the goal survives what happens to apps and webhooks', () => {
  it('5. the App is killed mid-goal and restarted: the goal completes and no task runs twice', async () => {
    const w = await scenario();
    await w.label();
    await w.settle();
    await w.tick(ALL);
    // Kill the App once T1 has landed and T2 and T3 are running.
    await w.settle(() => w.runs().length >= 3);
    // T1 landed: its landing opened the draft pull request (the plan comment may not show it yet:
    // progress edits are coalesced, and the kill drops the one waiting).
    expect(w.pull()?.draft).toBe(true);
    await w.restart();
    await w.app.app.reconcileAll(); // what `npm start` does first
    await w.until();
    expect(w.state().status).toBe('done');
    expect(w.runs()).toHaveLength(4);
    ranOnce(w);
    expect(w.pull()!.draft).toBe(false);
    expect(w.standIn.problems()).toEqual([]);
    // Seen 24.3 (97 calls); bound x1.5: the restart re-reads the goal once, it never re-runs it.
    expect(perLandedTask('killed and restarted', w)).toBeLessThanOrEqual(37);
  });

  it('6. every webhook delivered twice and shuffled: the same result, no duplicate dispatch', async () => {
    const w = await scenario({ chaos: { duplicate: 1, reorder: true }, seed: 7 });
    await w.label();
    await w.settle();
    await w.tick(ALL);
    await w.until();
    const s = w.state();
    expect(s.status).toBe('done');
    expect(s.tasks.map((t) => t.attempt)).toEqual([1, 1, 1, 1]);
    ranOnce(w);
    const sent = w.standIn.webhooks.deliveries;
    expect(new Set(sent.map((d) => d.id)).size * 2).toBe(sent.length);
    expect(w.issue.comments.filter((c) => c.app?.id === w.standIn.app.id)).toHaveLength(1);
    expect(w.standIn.problems()).toEqual([]);
    // Seen 21.5 (86 calls), as the undisturbed diamond; bound x1.5: duplicates cost no calls.
    expect(perLandedTask('duplicated and shuffled', w)).toBeLessThanOrEqual(33);
  });

  it('7. 30% of webhooks lost: the goal still completes through reconcile', async () => {
    // Seed 12: with the base's CI (the goal branch's push) among the webhooks, a seed whose
    // losses still include a finished run, a tick and a CI verdict.
    const w = await scenario({ chaos: { drop: 0.3 }, seed: 12 });
    await w.label();
    await w.until(() => w.planComment() !== undefined);
    await w.tick(ALL);
    await w.until();
    expect(w.state().status).toBe('done');
    ranOnce(w);
    // Among the lost: the maintainer's ticks, a finished run and a CI verdict.
    const lost = w.standIn.webhooks.deliveries
      .filter((d) => d.outcome === 'lost')
      .map((d) => `${d.event}.${d.action}`);
    expect(lost).toEqual(
      expect.arrayContaining([
        'issue_comment.edited',
        'workflow_run.completed',
        'check_suite.completed',
      ]),
    );
    expect(w.standIn.problems()).toEqual([]);
    // Seen 28.8 (115 calls); bound x1.5: sweeps re-read what the lost webhooks would have said.
    expect(perLandedTask('30% of webhooks lost', w)).toBeLessThanOrEqual(44);
  });

  it('8. a budget too small: paused with a comment, raised, and resumed to the end', async () => {
    // `maxGoalUsd` lets `/gantry budget 5` raise it (by default a command may set at most 4 x goalUsd).
    const w = await scenario({ config: { budget: { goalUsd: 0.3, maxGoalUsd: 5 } } });
    await w.label();
    await w.settle();
    await w.tick(ALL);
    await w.settle();
    expect(w.state()).toMatchObject({ status: 'paused', pausedFor: 'budget' });
    const pause = w.replies().find((c) => c.body.includes('the budget cannot cover'))!;
    expect(pause.body).toContain('`/gantry budget <usd>`');
    const before = w.runs().length;
    await w.comment('/gantry budget 5');
    await w.until();
    expect(w.state().status).toBe('done');
    expect(w.runs().length).toBeGreaterThan(before);
    ranOnce(w);
    expect(w.standIn.problems()).toEqual([]);
    // Seen 23.3 (93 calls); bound x1.5: the pause and the command add a few calls, not a loop.
    expect(perLandedTask('budget raised', w)).toBeLessThanOrEqual(35);
  });
});
