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
  // An idle client's error (the server restarted) must not crash the App; the next query says so.
  pool.on('error', () => {});
  // Fail at start, with the server's own message, rather than at the first webhook.
  const client = await pool.connect().catch(async (e: unknown) => {
    await pool.end();
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
    close: () => pool.end(),
  };
}
