/**
 * The one way Gantry's store talks SQL, the same for embedded PostgreSQL (PGlite) and a server:
 * parameterized queries and transactions. Nothing else of either driver leaks past this.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  /** Run one statement with `$1…` parameters; the rows it returns. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Run a script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Run `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queries) => Promise<T>): Promise<T>;
  /**
   * Run `fn` holding the advisory lock `name` (PostgreSQL's session lock, on a connection kept
   * for it): one holder at a time across every process on the database; waits its turn without
   * holding a connection. A holder that dies (kill -9) loses its connection and so the lock.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What a transaction may do. */
export type Queries = Pick<Db, 'query' | 'exec'>;
