import { PGlite } from '@electric-sql/pglite';
import type { Db } from './db.js';

/**
 * Embedded PostgreSQL (PGlite, WebAssembly): no server, no set-up. `dataDir` keeps the data on
 * disk; without one it lives in memory (tests). One process only: PGlite takes the directory
 * for itself, so replicas need a PostgreSQL server (`DATABASE_URL`).
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  const pg = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
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
    close: () => pg.close(),
  };
}
