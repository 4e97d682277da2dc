import type { Db, Queries } from './db.js';

/**
 * The store's schema, one version at a time. A version, once released, is never edited: a change
 * is a new version. Each runs in its own transaction with its record in `schema_migrations`.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'deliveries, goal states, breakers, goal events',
    sql: `
      CREATE TABLE deliveries (
        id text PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX deliveries_received_at ON deliveries (received_at);

      -- The plan comment body Gantry last wrote for each goal (its signed state in it).
      CREATE TABLE goal_states (
        goal_key text PRIMARY KEY,
        goal_id text,
        comment_id bigint NOT NULL,
        revision integer NOT NULL,
        body text NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      );

      -- A circuit breaker's state: 'global' or a repository's full name.
      CREATE TABLE breakers (
        scope text PRIMARY KEY,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- Task outcomes already counted, so a pass cut short does not count one twice.
      CREATE TABLE breaker_outcomes (
        key text PRIMARY KEY,
        counted_at timestamptz NOT NULL DEFAULT now()
      );

      -- The timeline of each goal: what the core recorded, in order.
      CREATE TABLE goal_events (
        id bigserial PRIMARY KEY,
        goal_key text NOT NULL,
        goal_id text,
        at timestamptz NOT NULL,
        kind text NOT NULL,
        detail jsonb NOT NULL
      );
      CREATE INDEX goal_events_goal ON goal_events (goal_key, id);
    `,
  },
  {
    version: 2,
    name: 'the spending ledger',
    sql: `
      -- Money across goals: each task attempt's reservation (settled to its cost when its run
      -- reports) and each planner charge, by repository, for the daily and monthly caps.
      CREATE TABLE ledger (
        key text PRIMARY KEY,
        repo text NOT NULL,
        goal_key text NOT NULL,
        kind text NOT NULL,
        reserved_micros bigint NOT NULL DEFAULT 0,
        spent_micros bigint NOT NULL DEFAULT 0,
        at timestamptz NOT NULL,
        settled_at timestamptz
      );
      CREATE INDEX ledger_repo_at ON ledger (repo, at);
    `,
  },
  {
    version: 3,
    name: 'the shared sweep',
    sql: `
      -- When a replica last swept every installation: the others skip theirs until it is due.
      CREATE TABLE sweeps (
        id integer PRIMARY KEY CHECK (id = 1),
        last_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'hints kept until applied',
    sql: `
      -- What each delivery tells each goal, kept until a reconcile of that goal has applied it:
      -- a replica that dies before or during that reconcile leaves it to the next one, on any
      -- replica. A row applied (done_at) is how a redelivery is known; it replaces deliveries.
      CREATE TABLE goal_hints (
        id bigserial PRIMARY KEY,
        goal text NOT NULL,
        delivery text NOT NULL,
        hint jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz,
        UNIQUE (delivery, goal)
      );
      CREATE INDEX goal_hints_pending ON goal_hints (goal, id) WHERE done_at IS NULL;
      CREATE INDEX goal_hints_received_at ON goal_hints (received_at);
      DROP TABLE deliveries;
    `,
  },
  {
    version: 5,
    name: 'dispatch intents',
    sql: `
      -- Each dispatch Gantry was about to send, recorded before the request.
      CREATE TABLE dispatch_intents (
        repo text NOT NULL,
        distinct_id text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repo, distinct_id)
      );
      CREATE INDEX dispatch_intents_recorded_at ON dispatch_intents (recorded_at);
      -- The goals that began with this store: every dispatch of one of them went through it, so
      -- an id it records for the first time was never dispatched. A goal begun before (a store
      -- upgraded, wiped or replaced while it ran) may have a dispatch whose state was never
      -- written: its runs are always looked for first.
      CREATE TABLE goals_begun (
        goal_key text NOT NULL,
        goal_id text NOT NULL,
        begun_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (goal_key, goal_id)
      );
      CREATE INDEX goals_begun_begun_at ON goals_begun (begun_at);
    `,
  },
  {
    version: 6,
    name: 'findings kept per repository',
    sql: `
      -- What the tasks of done goals learned, offered to the planner of the repository's later
      -- goals; listed and pruned by \`/gantry knowledge\` and \`/gantry forget <n>\` (n = id).
      CREATE TABLE repo_findings (
        id bigserial PRIMARY KEY,
        repo text NOT NULL,
        -- The finding's words (findingKey): the same finding from two goals is kept once.
        key text NOT NULL,
        kind text NOT NULL,
        text text NOT NULL,
        source text NOT NULL,
        kept_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (repo, key)
      );
      -- Goals whose findings were kept: once per goal, so a pruned finding stays pruned.
      CREATE TABLE repo_findings_goals (
        goal text PRIMARY KEY,
        kept_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/** A number for the migration lock, the same on every replica. */
const MIGRATION_LOCK = 0x47414e54; // "GANT"

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Bring the schema up to date. Replicas starting together take turns (an advisory lock); a
 * store newer than this code (a later version already applied) is refused rather than used.
 */
export async function migrate(db: Db): Promise<{ applied: number[]; version: number }> {
  const latest = MIGRATIONS.at(-1)!.version;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map(
        (r) => r.version,
      ),
    );
    const newer = [...done].filter((v) => v > latest);
    if (newer.length)
      throw new MigrationError(
        `the store has schema version ${Math.max(...newer)}, newer than this Gantry knows (${latest}): run the newer Gantry, or restore the store from before it`,
      );
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await apply(tx, m);
      applied.push(m.version);
    }
    return { applied, version: latest };
  });
}

async function apply(tx: Queries, m: (typeof MIGRATIONS)[number]): Promise<void> {
  try {
    await tx.exec(m.sql);
  } catch (e) {
    throw new MigrationError(`migration ${m.version} (${m.name}) failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
  await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
    m.version,
    m.name,
  ]);
}
