import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BreakerBook, GLOBAL_BREAKER, REPO_BREAKER_DEFAULTS } from '../../src/app/breakers.js';
import { GantryStore } from '../../src/app/store/store.js';

const settings = { threshold: 2, cooldownMs: 60_000 };

describe.each([
  ['in memory', false],
  ['in the store', true],
])('BreakerBook %s', (_where, stored) => {
  let store: GantryStore | undefined;
  beforeAll(async () => {
    if (stored) store = await GantryStore.open({});
  });
  afterAll(async () => store?.close());
  let n = 0;
  // Each test its own repositories: the store is shared by the tests of this block.
  const repo = (r: string) => `o${n}/${r}`;
  const book = (global = { threshold: 3, cooldownMs: 60_000 }) => {
    n++;
    return new BreakerBook(global, store);
  };

  it('opens after consecutive failures of a repository, and the global gate is the stricter', async () => {
    const b = book({ threshold: 100, cooldownMs: 60_000 });
    await b.record(repo('a'), false, 0, settings, `${n}:1`);
    expect(b.gate(repo('a'), 1, settings)).toBe('closed');
    await b.record(repo('a'), false, 1, settings, `${n}:2`);
    expect(b.gate(repo('a'), 2, settings)).toBe('open');
    expect(b.gate(repo('b'), 2, settings)).toBe('closed');
  });

  it('counts an outcome reported again under the same key once', async () => {
    const b = book({ threshold: 100, cooldownMs: 60_000 });
    await b.record(repo('a'), false, 0, settings, `${n}:T1`);
    await b.record(repo('a'), false, 1, settings, `${n}:T1`);
    expect(b.gate(repo('a'), 2, settings)).toBe('closed');
    await b.record(repo('a'), false, 2, settings, `${n}:T2`);
    expect(b.gate(repo('a'), 3, settings)).toBe('open');
  });
});

describe('BreakerBook in the store, across replicas and restarts', () => {
  let store: GantryStore;
  beforeAll(async () => {
    store = await GantryStore.open({});
  });
  afterAll(async () => store.close());

  it('counts the outcomes of two replicas into one breaker, once each, and a restart keeps it open', async () => {
    const global = { threshold: 100, cooldownMs: 60_000 };
    const one = new BreakerBook(global, store);
    const two = new BreakerBook(global, store);
    // The same outcome reported by both (a redelivery reached each) counts once.
    await Promise.all([
      one.record('o/r', false, 0, settings, 'o/r#g:T1:a1'),
      two.record('o/r', false, 0, settings, 'o/r#g:T1:a1'),
    ]);
    await two.refresh();
    expect(two.gate('o/r', 1, settings)).toBe('closed');
    await two.record('o/r', false, 1, settings, 'o/r#g:T2:a1');
    // The other replica sees it once it reads the store again.
    expect(one.gate('o/r', 2, settings)).toBe('closed');
    await one.refresh();
    expect(one.gate('o/r', 2, settings)).toBe('open');

    const restarted = new BreakerBook(global, store);
    expect(restarted.gate('o/r', 2, settings)).toBe('closed');
    await restarted.refresh();
    expect(restarted.gate('o/r', 2, settings)).toBe('open');
    expect(restarted.snapshot(2)).toContainEqual(
      expect.objectContaining({ repository: 'o/r', phase: 'open', failures: 2 }),
    );
  });
});

describe('the breakers /healthz reports', () => {
  it("judges a breaker read from the store by its repository's settings once a goal used them, by the config's defaults before", async () => {
    const store = await GantryStore.open({});
    try {
      const short = { threshold: 1, cooldownMs: 60_000 };
      await new BreakerBook(GLOBAL_BREAKER, store).record('o/r', false, 0, short, 'o/r#1:T1:a1');
      const restarted = new BreakerBook(GLOBAL_BREAKER, store);
      await restarted.refresh();
      // Before any goal of the repository ran here: the config's defaults (thirty minutes).
      const { cooldownMs } = REPO_BREAKER_DEFAULTS;
      expect(restarted.snapshot(cooldownMs / 2)).toEqual([
        { repository: 'o/r', phase: 'open', failures: 1, since: 0 },
      ]);
      expect(restarted.snapshot(2 * cooldownMs)).toEqual([
        { repository: 'o/r', phase: 'half-open', failures: 1, since: cooldownMs },
      ]);
      // A goal of the repository judged by its own settings: one minute.
      restarted.gate('o/r', 2 * cooldownMs, short);
      expect(restarted.snapshot(2 * cooldownMs)).toEqual([
        { repository: 'o/r', phase: 'half-open', failures: 1, since: 60_000 },
      ]);
    } finally {
      await store.close();
    }
  });
});
