import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GantryStore } from '../../src/app/store/store.js';
import { appHarness } from '../support/app-harness.js';

/**
 * Review 4: pruning deliveries existed but nothing called it, and breaker_outcomes has no pruning at
 * all: every webhook delivery and every task outcome stays in the store for ever (a busy
 * installation gets thousands of deliveries a day). A delivery matters only while GitHub may
 * redeliver it (three days); an outcome key only until its `outcome.reported` is written.
 */
let store: GantryStore;
beforeAll(async () => {
  store = await GantryStore.open({});
}, 60_000);
afterAll(async () => store.close());

const harness = appHarness({ store: () => store });

describe('the sweep', () => {
  it('forgets deliveries older than GitHub redelivers, and counted outcomes after a week', async () => {
    const h = await harness();
    await store.db.query(
      `INSERT INTO goal_hints (goal, delivery, hint, received_at, done_at)
       VALUES ('o/r#1', 'old', '{"kind":"poke"}', now() - interval '4 days', now()),
              ('o/r#1', 'new', '{"kind":"poke"}', now(), now())`,
    );
    await store.db.query(
      `INSERT INTO breaker_outcomes (key, counted_at) VALUES ('old', now() - interval '8 days'), ('new', now() - interval '4 days')`,
    );
    await h.sweep();
    const ids = async (table: string) =>
      (
        await store.db.query<{ id: string }>(
          `SELECT ${table === 'goal_hints' ? 'delivery' : 'key'} AS id FROM ${table}`,
        )
      ).map((r) => r.id);
    expect(await ids('goal_hints')).toEqual(['new']);
    expect(await ids('breaker_outcomes')).toEqual(['new']);
  });
});
