import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GantryStore } from '../../src/app/store/store.js';
import { appHarness } from '../support/app-harness.js';

/**
 * Review 4: GoalSession.flush writes to the store right after the plan comment and before the
 * rest of the step's GitHub work (collapsing old plans, the state labels, replies, reactions).
 * A store write that fails there (a failover, a dropped connection, a NUL in an event's detail
 * that jsonb refuses) throws out of the flush: the comment is on GitHub but its labels and
 * replies are not, and the goal job fails for good: a store error is not "transient", so it is
 * not retried, and the next sweep is minutes away. Here the goal stays at "planning": the
 * planning step's flush throws before the planner is even asked. The store is a safeguard
 * beside GitHub: a write to it that fails should be logged, not undo the step's GitHub work.
 */
let store: GantryStore;
let failWrites = false;
beforeAll(async () => {
  store = await GantryStore.open({});
  const down = () => Promise.reject(new Error('Connection terminated unexpectedly'));
  const wroteGoal = store.wroteGoal.bind(store);
  const appendEvents = store.appendEvents.bind(store);
  store.wroteGoal = (...a) => (failWrites ? down() : wroteGoal(...a));
  store.appendEvents = (...a) => (failWrites ? down() : appendEvents(...a));
}, 60_000);
afterAll(async () => store.close());

const harness = appHarness({ store: () => store });

describe('a store write that fails while a step is flushed', () => {
  it('does not stop the rest of the step: the state labels are set and the job does not fail', async () => {
    const h = await harness();
    failWrites = true;
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('awaiting-approval');
    expect(h.github.issue().labels).toEqual(['gantry', 'gantry:awaiting-approval']);
    // The harness fails the test on any goal job error (afterEach).
  });
});
