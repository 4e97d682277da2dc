import pg from 'pg';
import type { Db, Queries } from './db.js';

/**
 * A PostgreSQL server through a connection pool (`DATABASE_URL`), for several replicas. A server
 * that does not answer within `connectTimeoutMs` is an error (pg's default waits forever: a start-up
 * that hangs without a word, webhooks and /healthz that never answer).
 */
export async function openPostgres(
  url: string,
  poolSize = 10,
  connectTimeoutMs = 10_000,
): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // Lock holders keep a connection for a whole reconcile: a pool of their own, so queries never
  // wait behind them (a goal holding its lock could otherwise wait for a query connection).
  const locks = new pg.Pool({
    connectionString: url,
    max: 2 * poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // An idle client's error (the server restarted) must not crash the App; the next query says so.
  pool.on('error', () => {});
  locks.on('error', () => {});
  // Fail at start, with the server's own message, rather than at the first webhook.
  const client = await pool.connect().catch(async (e: unknown) => {
    await Promise.all([pool.end(), locks.end()]);
    throw e;
  });
  client.release();
  const query = async <T>(
    on: Pick<pg.Pool, 'query'> | pg.PoolClient,
    sql: string,
    params: readonly unknown[] = [],
  ) => (await on.query(sql, [...params])).rows as T[];
  return {
    kind: 'postgres',
    query: (sql, params) => query(pool, sql, params),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const tx: Queries = {
          query: (sql, params) => query(c, sql, params),
          exec: async (sql) => {
            await c.query(sql);
          },
        };
        const result = await fn(tx);
        await c.query('COMMIT');
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    },
    async withLock(name, fn) {
      for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
        const c = await locks.connect();
        let held = false;
        try {
          const r = await c.query<{ held: boolean }>(
            'SELECT pg_try_advisory_lock(hashtext($1)) AS held',
            [name],
          );
          held = r.rows[0]?.held === true;
          if (held) return await fn();
        } finally {
          if (held)
            await c.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => {});
          c.release();
        }
        // Another process holds it: try again soon, without keeping a connection meanwhile.
        await new Promise((r) => setTimeout(r, wait));
      }
    },
    close: async () => {
      await Promise.all([pool.end(), locks.end()]);
    },
  };
}
