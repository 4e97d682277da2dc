import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GantryStore } from '../../src/app/store/store.js';
import { appHarness, type Harness } from '../support/app-harness.js';

let store: GantryStore;
beforeAll(async () => {
  store = await GantryStore.open({});
}, 60_000);
afterAll(async () => store.close());
// Each test starts from an empty store (its goal has the same id and dispatch ids as the others').
beforeEach(() =>
  store.db.exec(
    'TRUNCATE goal_hints, goal_states, breakers, breaker_outcomes, goal_events, ledger, dispatch_intents, goals_begun',
  ),
);

const withStore = appHarness({ store: () => store });
const inMemory = appHarness();

/** A planned goal, all approved, then started by the maintainer. */
async function start(h: Harness): Promise<Harness> {
  await h.deliver('issues', h.github.label('gantry'));
  await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
  await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
  return h;
}

const count = (h: Harness, method: string) => h.github.calls.filter((c) => c === method).length;

describe('the dispatch intent kept in the store', () => {
  it('lets a first dispatch go without listing the runs', async () => {
    const h = await start(await withStore());
    expect(count(h, 'dispatchWorkflow')).toBe(1);
    expect(count(h, 'listDispatchedRuns')).toBe(0);
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
  });

  it('makes the pass after a dispatch whose answer was lost list the runs and find it, not dispatch again', async () => {
    const h = await withStore();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    // GitHub accepts the dispatch; its answer never arrives (as when the process dies then):
    // the state is not written, and the job is tried again.
    h.github.failNext('dispatchWorkflow', 502, { done: true });
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    expect(count(h, 'dispatchWorkflow')).toBe(1);
    expect(h.github.runs).toHaveLength(1);
    const calls = h.github.calls;
    expect(calls.indexOf('listDispatchedRuns')).toBeGreaterThan(calls.indexOf('dispatchWorkflow'));
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
  });

  it('does the same after a restart, when the dispatch went out and saving the state failed', async () => {
    const h = await withStore();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    // Every try of the job fails to write the plan comment after the dispatch.
    for (let i = 0; i < 3; i++) h.github.failNext('updateComment', 502);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    expect(h.errors).toHaveLength(1);
    h.errors.length = 0;
    await h.restart();
    await h.sweep();
    expect(count(h, 'dispatchWorkflow')).toBe(1);
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
  });

  it('lists the runs before a first dispatch without a store, as always', async () => {
    const h = await start(await inMemory());
    const calls = h.github.calls;
    expect(count(h, 'dispatchWorkflow')).toBe(1);
    expect(calls.indexOf('listDispatchedRuns')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('listDispatchedRuns')).toBeLessThan(calls.indexOf('dispatchWorkflow'));
  });

  it('lists the runs before a first dispatch of a goal that began before this store', async () => {
    const h = await withStore();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    // The store is replaced while the goal runs (a data directory lost, a new database): one
    // of the goal's dispatches may have gone out with no intent kept anywhere.
    await store.db.exec('TRUNCATE goal_states, dispatch_intents, goals_begun');
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    const calls = h.github.calls;
    expect(count(h, 'dispatchWorkflow')).toBe(1);
    expect(calls.indexOf('listDispatchedRuns')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('listDispatchedRuns')).toBeLessThan(calls.indexOf('dispatchWorkflow'));
  });

  it('waits for the run of an intent recorded before instead of sending it again at once', async () => {
    const h = await withStore();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    // The request fails without reaching GitHub: no run shows up.
    h.github.failNext('dispatchWorkflow', 502);
    await h.send('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    await h.app.idle();
    h.errors.length = 0;
    // One request went out, and the pass after it (its intent there, no run listed) took it as
    // sent: the attempt waits for its run rather than risk a second one.
    expect(count(h, 'dispatchWorkflow')).toBe(1);
    expect(h.state().tasks.at(0)?.sentAt).toBeDefined();
    await h.sweep();
    expect(count(h, 'dispatchWorkflow')).toBe(1);
    // No run within the wait: sent again.
    h.clock.now += 10 * 60_000;
    await h.sweep();
    expect(count(h, 'dispatchWorkflow')).toBe(2);
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
  });

  it('forgets the intent of a dispatch GitHub refused, so that the next try goes at once', async () => {
    const h = await withStore();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    h.github.failNext('dispatchWorkflow', 422);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    // The pass that the reply's webhook starts sends it again, at once and without a listing:
    // kept, the intent would have made it wait ten minutes for a run that cannot come.
    expect(count(h, 'dispatchWorkflow')).toBe(2);
    expect(count(h, 'listDispatchedRuns')).toBe(0);
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
  });

  it('lists the runs and dispatches nothing while the store cannot record the intent; the next pass dispatches', async () => {
    const h = await withStore();
    const record = vi
      .spyOn(store, 'recordDispatchIntents')
      .mockRejectedValueOnce(new Error('connection terminated'));
    try {
      await h.deliver('issues', h.github.label('gantry'));
      await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
      // That pass alone (the webhooks of its own writes come later).
      await h.send('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
      await h.app.idle();
      // Sent without its intent, a dispatch would look never sent to the next pass: the pass
      // that could not record it listed the runs and sent nothing; the next one dispatches.
      expect(count(h, 'listDispatchedRuns')).toBe(1);
      expect(count(h, 'dispatchWorkflow')).toBe(0);
      await h.sweep();
      expect(count(h, 'dispatchWorkflow')).toBe(1);
      expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
    } finally {
      record.mockRestore();
    }
  });
});
