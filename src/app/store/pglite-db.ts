import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Db } from './db.js';

/**
 * Embedded PostgreSQL (PGlite, WebAssembly): no server, no set-up. `dataDir` keeps the data on
 * disk; without one it lives in memory (tests). One process only: PGlite itself does not lock its
 * directory (two processes on one would each write their own pages and lose rows), so Gantry
 * does (`gantry.lock` in it); replicas need a PostgreSQL server (`DATABASE_URL`).
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  let pg: PGlite;
  try {
    pg = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  } catch (e) {
    release();
    throw e;
  }
  return {
    kind: 'pglite',
    query: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await pg.query<T>(sql, [...params])).rows,
    exec: async (sql) => {
      await pg.exec(sql);
    },
    transaction: (fn) =>
      pg.transaction((tx) =>
        fn({
          query: async <T>(sql: string, params: readonly unknown[] = []) =>
            (await tx.query<T>(sql, [...params])).rows,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    // One process holds the directory, and it runs one reconcile per goal at a time already.
    withLock: (_name, fn) => fn(),
    close: async () => {
      try {
        await pg.close();
      } finally {
        release();
      }
    },
  };
}

/** Data directories this process has open (its own pid in a lock file is then no stale mark). */
const held = new Set<string>();

/**
 * Take `dataDir` for this process: `gantry.lock` in it holds the pid. A lock whose process is
 * gone (killed, the machine restarted) is taken over; one whose process runs is refused.
 */
function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const file = join(dir, 'gantry.lock');
  if (held.has(dir)) throw inUse(process.pid);
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readText(file), 10);
      // Another process took it over at the same moment: it is in use.
      if (attempt > 0 || (running(pid) && pid !== process.pid)) throw inUse(pid);
      rmSync(file, { force: true });
    }
  }
  held.add(dir);
  return () => {
    if (!held.delete(dir)) return;
    rmSync(file, { force: true });
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function running(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(pid: number): Error {
  return new Error(
    `it is in use by another Gantry process${Number.isInteger(pid) ? ` (pid ${pid})` : ''}: the embedded store serves one process only. Stop that process, or run several replicas on a PostgreSQL server (DATABASE_URL); if no Gantry uses it, delete gantry.lock in it`,
  );
}
