import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/app/store/migrations.js';
import { GantryStore, StoreError } from '../../src/app/store/store.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';

/** The same store over embedded PostgreSQL and a real server: one schema, one access layer. */
describe.each(['pglite', 'postgres'] as const)('the store on %s', (kind) => {
  let server: PostgresServer | undefined;
  let store: GantryStore;
  const open = () =>
    GantryStore.open(
      kind === 'postgres'
        ? { databaseUrl: server!.url }
        : { dataDir: mkdtempSync(join(tmpdir(), 'gantry-store-')) },
    );
  beforeAll(async () => {
    if (kind === 'postgres') server = await startPostgres();
    store = await open();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('is migrated once: opening it again applies nothing, and a newer schema is refused', async () => {
    expect(await store.health()).toEqual({
      ok: true,
      kind,
      detail: `schema version ${MIGRATIONS.at(-1)!.version}`,
    });
    expect(await migrate(store.db)).toEqual({ applied: [], version: MIGRATIONS.at(-1)!.version });
    await store.db.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')");
    await expect(migrate(store.db)).rejects.toThrow(
      /the store has schema version 999, newer than this Gantry knows \(\d+\)/,
    );
    await store.db.query('DELETE FROM schema_migrations WHERE version = 999');
  });

  it("keeps a delivery's hint per goal until it is applied, tells a redelivery, and forgets a failed one", async () => {
    const edit = {
      kind: 'comment-edited',
      commentId: 5,
      from: 'old',
      to: 'new',
      sender: { login: 'maint', bot: false },
    } as const;
    expect(await store.queueHint('d-1', 'o/r#1', edit)).toBe('new');
    expect(await store.queueHint('d-1', 'o/r#1', edit)).toBe('pending');
    // The same delivery routed to another goal is that goal's own.
    expect(await store.queueHint('d-1', 'o/r#2', { kind: 'poke' })).toBe('new');
    const both = await Promise.all([
      store.queueHint('d-2', 'o/r#1', { kind: 'ci', sha: 'a'.repeat(40) }),
      store.queueHint('d-2', 'o/r#1', { kind: 'ci', sha: 'a'.repeat(40) }),
    ]);
    expect(both.sort()).toEqual(['new', 'pending']);

    const pending = await store.pendingHints('o/r#1');
    expect(pending.map((p) => p.hint)).toEqual([edit, { kind: 'ci', sha: 'a'.repeat(40) }]);
    await store.hintsApplied([pending[0]!.id]);
    expect((await store.pendingHints('o/r#1')).map((p) => p.hint.kind)).toEqual(['ci']);
    expect(await store.queueHint('d-1', 'o/r#1', edit)).toBe('applied');
    // Dropped after a failure, a manual redelivery is new again.
    await store.dropHints([pending[1]!.id]);
    expect(await store.pendingHints('o/r#1')).toEqual([]);
    expect(await store.queueHint('d-2', 'o/r#1', { kind: 'poke' })).toBe('new');
    expect(await store.pruneHints(3 * 24 * 3600_000)).toBe(0);
    await store.db.query("UPDATE goal_hints SET received_at = now() - interval '4 days'");
    expect(await store.pruneHints(3 * 24 * 3600_000)).toBe(3);
  });

  it("keeps the newest revision Gantry wrote for a goal; a new goal on the issue replaces the old one's", async () => {
    const key = 'o/r#7';
    expect(await store.writtenGoal(key)).toBeUndefined();
    await store.wroteGoal(key, { goalId: 'g1', commentId: 10, revision: 5, body: 'five' });
    // A late, older write (a retried job, another replica) does not go back.
    await store.wroteGoal(key, { goalId: 'g1', commentId: 10, revision: 4, body: 'four' });
    expect(await store.writtenGoal(key)).toEqual({
      goalId: 'g1',
      commentId: 10,
      revision: 5,
      body: 'five',
    });
    await store.wroteGoal(key, { goalId: 'g2', commentId: 11, revision: 1, body: 'new goal' });
    expect((await store.writtenGoal(key))?.body).toBe('new goal');
  });

  it("appends to a goal's timeline in order", async () => {
    await store.appendEvents('o/r#8', 'g8', [
      { at: 1000, kind: 'plan.proposed', detail: { to: 'awaiting-approval' } },
      { at: 2000, kind: 'start', detail: { actor: 'maint' } },
    ]);
    await store.appendEvents('o/r#8', 'g8', []);
    expect(await store.goalEvents('o/r#8')).toEqual([
      { goalId: 'g8', at: 1000, kind: 'plan.proposed', detail: { to: 'awaiting-approval' } },
      { goalId: 'g8', at: 2000, kind: 'start', detail: { actor: 'maint' } },
    ]);
  });

  it('holds reservations together without passing a cap: of ten under a cap for three, three', async () => {
    const at = Date.UTC(2026, 11, 3, 12);
    const held = await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        store.reserve({
          key: `o/capped#${k}:g:T1:1`,
          repo: 'o/capped',
          goalKey: `o/capped#${k}`,
          micros: 500_000,
          at,
          caps: { daily: 1_500_000, monthly: 10_000_000 },
        }),
      ),
    );
    expect(held.filter((x) => x.ok)).toHaveLength(3);
    expect(held.find((x) => !x.ok)).toEqual({
      ok: false,
      period: 'daily',
      capMicros: 1_500_000,
      spentMicros: 1_500_000,
      resetsAt: Date.UTC(2026, 11, 4),
    });
    // One that was held, held again (a retried pass): no second reservation.
    const first = held.findIndex((x) => x.ok);
    const key = `o/capped#${first}:g:T1:1`;
    expect(
      await store.reserve({
        key,
        repo: 'o/capped',
        goalKey: `o/capped#${first}`,
        micros: 500_000,
        at,
        caps: { daily: 1_500_000 },
      }),
    ).toEqual({ ok: true });
    // Settled at its cost, a planner charge beside it; the month counts the days before.
    await store.settle(key, 310_000, at);
    await store.charge({
      key: 'p1',
      repo: 'o/capped',
      goalKey: 'o/capped#0',
      kind: 'plan',
      micros: 40_000,
      at,
    });
    await store.charge({
      key: 'p0',
      repo: 'o/capped',
      goalKey: 'o/capped#0',
      kind: 'plan',
      micros: 70_000,
      at: at - 24 * 3600_000,
    });
    expect(await store.spend('o/capped', at)).toEqual({
      daily: 1_350_000,
      monthly: 1_420_000,
      account: 1_420_000,
    });
  });

  it("holds an account's repositories together under its monthly cap, and no one else's", async () => {
    const at = Date.UTC(2026, 10, 20, 9);
    const hold = (repo: string, k: number) =>
      store.reserve({
        key: `${repo}#${k}:g:T1:1`,
        repo,
        goalKey: `${repo}#${k}`,
        micros: 400_000,
        at,
        caps: { account: 1_000_000 },
      });
    expect(await hold('acct/one', 1)).toEqual({ ok: true });
    expect(await hold('acct/two', 1)).toEqual({ ok: true });
    // Another account's spending is its own.
    expect(await hold('other/one', 1)).toEqual({ ok: true });
    expect(await hold('acct/three', 1)).toEqual({
      ok: false,
      period: 'account',
      capMicros: 1_000_000,
      spentMicros: 800_000,
      resetsAt: Date.UTC(2026, 11, 1),
    });
    expect(await store.spend('acct/two', at)).toEqual({
      daily: 400_000,
      monthly: 400_000,
      account: 800_000,
    });
  });

  it('counts one outcome once even when two replicas count it together', async () => {
    const counted = await Promise.all(
      [1, 2].map(() =>
        store.countOutcome('o/r#g:T1:a1', ['o/r'], (_s, b) => ({
          phase: 'closed',
          failures: (b?.failures ?? 0) + 1,
        })),
      ),
    );
    expect(counted.sort()).toEqual([false, true]);
    expect((await store.breakers()).get('o/r')).toEqual({ phase: 'closed', failures: 1 });
  });

  const goal = { key: 'o/r#1', id: 'goal-1' };
  const fresh = async (repo: string, ids: string[], g = goal) =>
    (await store.recordDispatchIntents(repo, g, ids)).fresh;

  it('records a dispatch intent fresh once, per repository, even when two replicas record it together', async () => {
    await store.goalBegun(goal.key, goal.id);
    expect(await fresh('o/r', ['gaaa-T1-a1', 'gaaa-T2-a1'])).toEqual(
      new Set(['gaaa-T1-a1', 'gaaa-T2-a1']),
    );
    // Recorded before: its dispatch may have been sent, and when it was recorded is said.
    const again = await store.recordDispatchIntents('o/r', goal, ['gaaa-T1-a1', 'gaaa-T3-a1']);
    expect(again.fresh).toEqual(new Set(['gaaa-T3-a1']));
    expect([...again.earlier.keys()]).toEqual(['gaaa-T1-a1']);
    expect(Math.abs(again.earlier.get('gaaa-T1-a1')! - Date.now())).toBeLessThan(3_600_000);
    // The same id in another repository is that repository's own.
    expect(await fresh('o/other', ['gaaa-T1-a1'])).toEqual(new Set(['gaaa-T1-a1']));
    expect(await fresh('o/r', [])).toEqual(new Set());
    const both = await Promise.all([1, 2].map(() => fresh('o/r', ['gaaa-T4-a1'])));
    expect(both.map((b) => b.size).sort()).toEqual([0, 1]);
  });

  it('has no fresh intent for a goal that did not begin with it (made, upgraded or replaced since)', async () => {
    const elsewhere = { key: 'o/r#2', id: 'goal-2' };
    // Recorded, but not fresh: one of its dispatches may have gone out with no intent.
    const first = await store.recordDispatchIntents('o/r', elsewhere, ['gddd-T1-a1']);
    expect(first).toEqual({ fresh: new Set(), earlier: new Map() });
    expect((await store.recordDispatchIntents('o/r', elsewhere, ['gddd-T1-a1'])).earlier.size).toBe(
      1,
    );
    // Another goal on the same issue that began here: its ids are fresh.
    await store.goalBegun(elsewhere.key, 'goal-3');
    expect(await fresh('o/r', ['gddd-T2-a1'], { key: elsewhere.key, id: 'goal-3' })).toEqual(
      new Set(['gddd-T2-a1']),
    );
  });

  it('forgets dispatch intents it is told to, and those older than it is told', async () => {
    await store.goalBegun(goal.key, goal.id);
    await fresh('o/r', ['gbbb-T1-a1', 'gbbb-T2-a1', 'gbbb-T3-a1']);
    await store.db.query(
      "UPDATE dispatch_intents SET recorded_at = now() - interval '8 days' WHERE distinct_id = 'gbbb-T1-a1'",
    );
    expect(await store.pruneDispatchIntents(7 * 24 * 3600_000)).toBe(1);
    await store.forgetDispatchIntents('o/r', ['gbbb-T3-a1']);
    expect(await fresh('o/r', ['gbbb-T1-a1', 'gbbb-T2-a1', 'gbbb-T3-a1'])).toEqual(
      new Set(['gbbb-T1-a1', 'gbbb-T3-a1']),
    );
  });

  it("keeps a done goal's findings once per goal, the same one once, the newest within the bound", async () => {
    const f = (text: string, source = '#1 T1') => ({ kind: 'gotcha' as const, text, source });
    expect(
      await store.keepFindings('o/k', 'o/k#1:g1', [f('Use ESM.'), f('Tabs, not spaces.')], 3),
    ).toBe(true);
    // The same goal again (a later pass over it): nothing kept twice, a pruned one stays pruned.
    const [first] = await store.repoFindings('o/k');
    expect(await store.forgetFinding('o/k', first!.id)).toMatchObject({ text: 'Use ESM.' });
    expect(await store.forgetFinding('o/k', first!.id)).toBeUndefined();
    expect(await store.keepFindings('o/k', 'o/k#1:g1', [f('Use ESM.')], 3)).toBe(false);
    // Another goal: a finding already kept (other case and punctuation) is not kept again; past
    // the bound the oldest go.
    await store.keepFindings(
      'o/k',
      'o/k#2:g2',
      [f('tabs not spaces', '#2 T1'), f('A.', '#2 T1'), f('B.', '#2 T2'), f('C.', '#2 T3')],
      3,
    );
    expect((await store.repoFindings('o/k')).map((x) => x.text)).toEqual(['A.', 'B.', 'C.']);
    expect(await store.repoFindings('o/other')).toEqual([]);
  });
});

describe('opening a store that cannot be opened', () => {
  it('says which store and why', async () => {
    const err = await GantryStore.open({
      databaseUrl: 'postgres://gantry:secret-pw@127.0.0.1:1/none',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(
      /^Gantry could not open the PostgreSQL server of DATABASE_URL \(postgres:\/\/gantry:\*\*\*@127\.0\.0\.1:1\/none\): .*ECONNREFUSED/,
    );
    expect((err as Error).message).not.toContain('secret-pw');
  });
});
