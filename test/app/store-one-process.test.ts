import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GantryStore, StoreError } from '../../src/app/store/store.js';

/**
 * Review 4: PGlite does not hold its data directory for itself (README, pglite-db.ts). Two
 * processes on one directory (two replicas started without DATABASE_URL, a systemd restart
 * overlapping the old process, an operator's second `npm start`) both open it and each writes
 * its own copy of the pages: committed rows of one are silently lost (seen by hand: two
 * processes of 200 deliveries each, then a third, left 484 of 600 rows).
 */
describe('the embedded store in a data directory another process already uses', () => {
  const open: GantryStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('is refused, naming the directory and the way to run several replicas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-review4-'));
    const first = await GantryStore.open({ dataDir: dir });
    open.push(first);
    const second = await GantryStore.open({ dataDir: dir }).catch((e: unknown) => e);
    if (second instanceof GantryStore) open.push(second);
    expect(second).toBeInstanceOf(StoreError);
    expect((second as Error).message).toContain(dir);
    expect((second as Error).message).toContain('DATABASE_URL');
  }, 60_000);

  it('opens again once the first has closed it, and after a process that died holding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-review4-'));
    const first = await GantryStore.open({ dataDir: dir });
    await first.queueHint('d-1', 'o/r#1', { kind: 'poke' });
    await first.close();
    const again = await GantryStore.open({ dataDir: dir });
    open.push(again);
    expect(await again.queueHint('d-1', 'o/r#1', { kind: 'poke' })).toBe('pending');
    await again.close();
    open.splice(0);
    // A process killed with the directory open leaves its mark behind: a pid no longer running.
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    writeFileSync(join(dir, 'gantry.lock'), `${dead}\n`);
    const afterCrash = await GantryStore.open({ dataDir: dir });
    open.push(afterCrash);
    expect(await afterCrash.queueHint('d-1', 'o/r#1', { kind: 'poke' })).toBe('pending');
  }, 60_000);
});
