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
    'TRUNCATE goal_hints, goal_states, breakers, breaker_outcomes, goal_events, ledger, dispatch_intents',
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
      expect(count(h, 'listDispatchedRuns')).toBe(1);
      // Sent without its intent, a dispatch would look never sent to the next pass.
      expect(count(h, 'dispatchWorkflow')).toBe(0);
      await h.sweep();
      expect(count(h, 'dispatchWorkflow')).toBe(1);
      expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
    } finally {
      record.mockRestore();
    }
  });
});
