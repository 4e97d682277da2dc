import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GantryStore } from '../../src/app/store/store.js';
import { appHarness } from '../support/app-harness.js';

/**
 * Review 4: every reconcile reads the store first (recallGoal, breakers.refresh) and counts task
 * outcomes into it. A passing store failure there (PostgreSQL restarted or failed over: pg says
 * "Connection terminated unexpectedly", ECONNRESET, or SQLSTATE 57P01/08006) is not `transient`
 * (goal-workers.ts), so the goal job fails at once and is not tried again: the label, command or
 * tick that caused it waits for the next sweep (10 minutes by default), while a GitHub 5xx at
 * the same place is retried within seconds.
 */
let store: GantryStore;
const failures: Error[] = [];
beforeAll(async () => {
  store = await GantryStore.open({});
  const writtenGoal = store.writtenGoal.bind(store);
  store.writtenGoal = (...a) => {
    const e = failures.shift();
    return e ? Promise.reject(e) : writtenGoal(...a);
  };
}, 60_000);
afterAll(async () => store.close());
// Each test starts from an empty store (one GitHub in memory each, with the same issue).
beforeEach(() =>
  store.db.exec('TRUNCATE goal_hints, goal_states, breakers, breaker_outcomes, goal_events'),
);

const harness = appHarness({ store: () => store });

const terminated = () => new Error('Connection terminated unexpectedly');
const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const shutdown = () =>
  Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
    severity: 'FATAL',
  });

describe('a store that fails for a moment while a goal is reconciled', () => {
  it.each([
    ['the connection ends', terminated],
    ['the connection is reset', reset],
    ['the server shuts down', shutdown],
  ])('is tried again, as GitHub failing for a moment is, when %s', async (_what, failure) => {
    const h = await harness();
    failures.push(failure());
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('awaiting-approval');
    // The harness fails the test on any goal job error (afterEach).
  });
});
