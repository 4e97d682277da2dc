import type { BreakerState } from '../../core/breaker.js';
import { findingKey, type Finding } from '../../core/findings.js';
import type { Hint } from '../hints.js';
import type { Db, Queries } from './db.js';
import { migrate } from './migrations.js';
import { openPglite } from './pglite-db.js';
import { openPostgres } from './postgres-db.js';

/** What Gantry last wrote for a goal: the plan comment and its body, with the state's revision. */
/** What the store knows of dispatches about to be sent (`GantryStore.recordDispatchIntents`). */
export interface DispatchIntents {
  /** Never dispatched by anyone: recorded now, for a goal that began with this store. */
  fresh: Set<string>;
  /** Recorded by an earlier pass, with when (ms): the dispatch may have gone out. */
  earlier: Map<string, number>;
}

export interface WrittenGoal {
  goalId: string | undefined;
  commentId: number;
  revision: number;
  body: string;
}

/** One entry of a goal's timeline. */
export interface GoalEventRow {
  at: number;
  kind: string;
  detail: Record<string, unknown>;
}

/** A finding a done goal left for the repository's later goals; `id` is its number in lists. */
export interface RepoFinding {
  id: number;
  kind: Finding['kind'];
  text: string;
  /** Where it was learned: `#<issue> <task>`. */
  source: string;
}

/** Where a delivery's hint for a goal stands (see `queueHint`). */
export type HintQueued = 'new' | 'pending' | 'applied';

export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * Gantry's operational memory, the same over embedded PostgreSQL and a server: what webhook
 * deliveries told each goal until it is applied, what Gantry last wrote per goal, the circuit breakers, and each goal's
 * timeline. GitHub stays the record of what was planned and approved; this is what GitHub has
 * no place for, and what must survive a restart.
 */
export class GantryStore {
  private constructor(readonly db: Db) {}

  /**
   * Open and migrate the store: PostgreSQL at `databaseUrl` when given, else PGlite in
   * `dataDir` (in memory without one). Says what is wrong when it cannot.
   */
  static async open(o: {
    databaseUrl?: string | undefined;
    dataDir?: string | undefined;
  }): Promise<GantryStore> {
    const where = o.databaseUrl
      ? `the PostgreSQL server of DATABASE_URL (${redact(o.databaseUrl)})`
      : o.dataDir
        ? `the data directory ${o.dataDir}`
        : 'an in-memory store';
    let db: Db;
    try {
      db = o.databaseUrl ? await openPostgres(o.databaseUrl) : await openPglite(o.dataDir);
    } catch (e) {
      throw new StoreError(`Gantry could not open ${where}: ${(e as Error).message}`, { cause: e });
    }
    try {
      await migrate(db);
    } catch (e) {
      await db.close().catch(() => {});
      throw new StoreError(`Gantry could not prepare ${where}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return new GantryStore(db);
  }

  /**
   * Keep what a delivery tells a goal until a reconcile applies it: 'new' the first time,
   * 'pending' while no reconcile has applied it yet (a redelivery, or the same delivery at another
   * replica), 'applied' once one has (a redelivery then changes nothing).
   */
  async queueHint(delivery: string, goal: string, hint: Hint): Promise<HintQueued> {
    // One statement: a row another replica inserts or drops meanwhile cannot fall between two.
    // The no-op update returns the row that was there; xmax = 0 only for a row just inserted.
    const [row] = await this.db.query<{ inserted: boolean; applied: boolean }>(
      `INSERT INTO goal_hints (goal, delivery, hint) VALUES ($1, $2, $3)
       ON CONFLICT (delivery, goal) DO UPDATE SET hint = goal_hints.hint
       RETURNING (xmax = 0) AS inserted, done_at IS NOT NULL AS applied`,
      [goal, delivery, JSON.stringify(hint)],
    );
    return row?.inserted ? 'new' : row?.applied ? 'applied' : 'pending';
  }

  /** A goal's hints no reconcile has applied yet, oldest first (call under the goal's lock). */
  async pendingHints(goal: string): Promise<{ id: string; hint: Hint }[]> {
    const rows = await this.db.query<{ id: string | number; hint: Hint | string }>(
      'SELECT id, hint FROM goal_hints WHERE goal = $1 AND done_at IS NULL ORDER BY id',
      [goal],
    );
    return rows.map((r) => ({
      id: String(r.id),
      hint: typeof r.hint === 'string' ? (JSON.parse(r.hint) as Hint) : r.hint,
    }));
  }

  /** Hints a reconcile applied: kept (as applied) so that a redelivery is known. */
  async hintsApplied(ids: readonly string[]): Promise<void> {
    if (ids.length)
      await this.db.query('UPDATE goal_hints SET done_at = now() WHERE id = ANY($1::bigint[])', [
        ids,
      ]);
  }

  /** Hints a reconcile failed on for good: forgotten, so that a manual redelivery tries again. */
  async dropHints(ids: readonly string[]): Promise<void> {
    if (ids.length)
      await this.db.query('DELETE FROM goal_hints WHERE id = ANY($1::bigint[])', [ids]);
  }

  /**
   * Forget hints older than GitHub redelivers (it keeps deliveries for three days): applied ones,
   * and pending ones no reconcile could apply in that time.
   */
  async pruneHints(olderThanMs: number): Promise<number> {
    const rows = await this.db.query(
      'DELETE FROM goal_hints WHERE received_at < now() - make_interval(secs => $1) RETURNING id',
      [olderThanMs / 1000],
    );
    return rows.length;
  }

  /**
   * Keep a done goal's findings for the repository, once per goal (`goal` names it): true when
   * this call kept them. The same finding is kept once; beyond `max`, the oldest are dropped.
   */
  async keepFindings(
    repo: string,
    goal: string,
    findings: readonly Omit<RepoFinding, 'id'>[],
    max: number,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const first = await tx.query(
        'INSERT INTO repo_findings_goals (goal) VALUES ($1) ON CONFLICT DO NOTHING RETURNING goal',
        [goal],
      );
      if (first.length === 0) return false;
      for (const f of findings)
        await tx.query(
          `INSERT INTO repo_findings (repo, key, kind, text, source) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (repo, key) DO NOTHING`,
          [repo, findingKey(f.text), f.kind, f.text, f.source],
        );
      await tx.query(
        `DELETE FROM repo_findings WHERE repo = $1 AND id NOT IN
           (SELECT id FROM repo_findings WHERE repo = $1 ORDER BY id DESC LIMIT $2)`,
        [repo, max],
      );
      return true;
    });
  }

  /** The repository's kept findings, oldest first. */
  async repoFindings(repo: string): Promise<RepoFinding[]> {
    const rows = await this.db.query<RepoFinding & { id: string | number }>(
      'SELECT id, kind, text, source FROM repo_findings WHERE repo = $1 ORDER BY id',
      [repo],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** Prune the repository's finding `id`: the one pruned, or undefined when there is none. */
  async forgetFinding(repo: string, id: number): Promise<RepoFinding | undefined> {
    const [row] = await this.db.query<RepoFinding & { id: string | number }>(
      'DELETE FROM repo_findings WHERE repo = $1 AND id = $2 RETURNING id, kind, text, source',
      [repo, id],
    );
    return row && { ...row, id: Number(row.id) };
  }

  /** Forget counted task outcomes older than `olderThanMs` (a key matters for a pass or two). */
  async pruneOutcomes(olderThanMs: number): Promise<number> {
    const rows = await this.db.query(
      'DELETE FROM breaker_outcomes WHERE counted_at < now() - make_interval(secs => $1) RETURNING key',
      [olderThanMs / 1000],
    );
    return rows.length;
  }

  /**
   * A new goal began with this store (its plan comment not yet written): every dispatch of it will
   * go through this store, so an intent it lacks is a dispatch never sent (`recordDispatchIntents`).
   * Kept as long as the goal's state (one small row a goal).
   */
  async goalBegun(goalKey: string, goalId: string): Promise<void> {
    await this.db.query(
      'INSERT INTO goals_begun (goal_key, goal_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [goalKey, goalId],
    );
  }

  /**
   * Record that the dispatches `ids` of `repo` are about to be sent, before they are (one
   * statement). `fresh`: ids recorded now, of a goal that began with this store
   * (`goalBegun`): nobody ever dispatched them (no replica, no process before a crash), so no run
   * need be looked for. `earlier`: ids recorded before, with when: their dispatch may have gone
   * out. Any other id is recorded now for a goal begun elsewhere (before this store was made,
   * upgraded or replaced): it may have been dispatched without an intent, so it is neither.
   */
  async recordDispatchIntents(
    repo: string,
    goal: { key: string; id: string },
    ids: readonly string[],
  ): Promise<DispatchIntents> {
    const out: DispatchIntents = { fresh: new Set(), earlier: new Map() };
    if (!ids.length) return out;
    // The main query sees the table as it was before the statement: only earlier rows.
    const rows = await this.db.query<{ distinct_id: string; recorded_at: Date | string | null }>(
      `WITH recorded AS (
         INSERT INTO dispatch_intents (repo, distinct_id) SELECT $1, unnest($2::text[])
         ON CONFLICT (repo, distinct_id) DO NOTHING RETURNING distinct_id
       )
       SELECT distinct_id, NULL::timestamptz AS recorded_at FROM recorded
       WHERE EXISTS (SELECT 1 FROM goals_begun WHERE goal_key = $3 AND goal_id = $4)
       UNION ALL
       SELECT distinct_id, recorded_at FROM dispatch_intents
       WHERE repo = $1 AND distinct_id = ANY($2::text[])`,
      [repo, ids, goal.key, goal.id],
    );
    for (const r of rows)
      if (r.recorded_at === null) out.fresh.add(r.distinct_id);
      else out.earlier.set(r.distinct_id, new Date(r.recorded_at).getTime());
    return out;
  }

  /** Forget intents whose dispatch certainly was not sent (refused, held by a cap). */
  async forgetDispatchIntents(repo: string, ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.query(
      'DELETE FROM dispatch_intents WHERE repo = $1 AND distinct_id = ANY($2::text[])',
      [repo, ids],
    );
  }

  /**
   * Forget dispatch intents older than `olderThanMs`: an attempt's run is found, or the attempt
   * given up as lost, within minutes (`LOST_DISPATCH_MS`), and the run listing that replaces an
   * intent sees only the latest 100 runs anyway.
   */
  async pruneDispatchIntents(olderThanMs: number): Promise<number> {
    const rows = await this.db.query(
      'DELETE FROM dispatch_intents WHERE recorded_at < now() - make_interval(secs => $1) RETURNING distinct_id',
      [olderThanMs / 1000],
    );
    return rows.length;
  }

  async writtenGoal(key: string): Promise<WrittenGoal | undefined> {
    const [row] = await this.db.query<{
      goal_id: string | null;
      comment_id: string;
      revision: number;
      body: string;
    }>('SELECT goal_id, comment_id, revision, body FROM goal_states WHERE goal_key = $1', [key]);
    return (
      row && {
        goalId: row.goal_id ?? undefined,
        commentId: Number(row.comment_id),
        revision: row.revision,
        body: row.body,
      }
    );
  }

  /**
   * Remember what Gantry wrote. It only moves forward: an older write arriving late (another
   * replica, a retried job) does not replace a newer one. A new goal, a new plan version and a
   * restored comment each get a new plan comment, and GitHub's comment ids only grow: a later
   * comment wins, then a higher revision in the same comment.
   */
  async wroteGoal(key: string, goal: WrittenGoal): Promise<void> {
    await this.db.query(
      `INSERT INTO goal_states (goal_key, goal_id, comment_id, revision, body)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (goal_key) DO UPDATE SET
         goal_id = EXCLUDED.goal_id, comment_id = EXCLUDED.comment_id,
         revision = EXCLUDED.revision, body = EXCLUDED.body, written_at = now()
       WHERE goal_states.comment_id < EXCLUDED.comment_id
          OR (goal_states.comment_id = EXCLUDED.comment_id
              AND goal_states.revision <= EXCLUDED.revision)`,
      [key, goal.goalId ?? null, goal.commentId, goal.revision, goal.body],
    );
  }

  /** Every breaker's state: 'global' and each repository's. */
  async breakers(): Promise<Map<string, BreakerState>> {
    const rows = await this.db.query<{ scope: string; state: BreakerState }>(
      'SELECT scope, state FROM breakers',
    );
    return new Map(rows.map((r) => [r.scope, r.state]));
  }

  /**
   * Count one task outcome into the breakers of `scopes`, atomically: `change` maps each
   * current state to the next. An outcome already counted under `key` changes nothing (false).
   */
  async countOutcome(
    key: string,
    scopes: readonly string[],
    change: (scope: string, state: BreakerState | undefined) => BreakerState,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const first = await tx.query(
        'INSERT INTO breaker_outcomes (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key',
        [key],
      );
      if (!first.length) return false;
      for (const scope of scopes) {
        // Created if missing, then locked: two replicas counting at once take turns.
        await tx.query(
          `INSERT INTO breakers (scope, state) VALUES ($1, 'null'::jsonb) ON CONFLICT (scope) DO NOTHING`,
          [scope],
        );
        const [row] = await tx.query<{ state: BreakerState | null }>(
          'SELECT state FROM breakers WHERE scope = $1 FOR UPDATE',
          [scope],
        );
        const next = change(scope, row?.state ?? undefined);
        await tx.query('UPDATE breakers SET state = $2, updated_at = now() WHERE scope = $1', [
          scope,
          JSON.stringify(next),
        ]);
      }
      return true;
    });
  }

  /** Append to a goal's timeline. */
  async appendEvents(
    key: string,
    goalId: string | undefined,
    events: readonly GoalEventRow[],
  ): Promise<void> {
    if (!events.length) return;
    const values: unknown[] = [];
    const rows = events.map((e, i) => {
      values.push(
        key,
        goalId ?? null,
        new Date(e.at).toISOString(),
        e.kind,
        JSON.stringify(e.detail),
      );
      const n = i * 5;
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5})`;
    });
    await this.db.query(
      `INSERT INTO goal_events (goal_key, goal_id, at, kind, detail) VALUES ${rows.join(', ')}`,
      values,
    );
  }

  /** A goal's timeline, oldest first. */
  async goalEvents(key: string): Promise<(GoalEventRow & { goalId: string | undefined })[]> {
    const rows = await this.db.query<{
      goal_id: string | null;
      at: Date | string;
      kind: string;
      detail: Record<string, unknown>;
    }>('SELECT goal_id, at, kind, detail FROM goal_events WHERE goal_key = $1 ORDER BY id', [key]);
    return rows.map((r) => ({
      goalId: r.goal_id ?? undefined,
      at: new Date(r.at).getTime(),
      kind: r.kind,
      detail: r.detail,
    }));
  }

  /**
   * Hold `micros` for a task attempt against the repository's caps, atomically (replicas and
   * goals take turns per repository): what its day and month have spent or hold, with this,
   * must stay within each cap set. The same key held again is a no-op (a retried pass).
   */
  async reserve(o: {
    key: string;
    repo: string;
    goalKey: string;
    micros: number;
    at: number;
    caps: Caps;
  }): Promise<Held> {
    return this.db.transaction(async (tx) => {
      // Per account: its repositories share the account's cap, so they take turns too.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ledger:${ownerOf(o.repo)}`]);
      const known = await tx.query('SELECT 1 FROM ledger WHERE key = $1', [o.key]);
      if (known.length) return { ok: true };
      const spent = await spendIn(tx, o.repo, o.at);
      for (const period of ['daily', 'monthly', 'account'] as const) {
        const cap = o.caps[period];
        if (cap !== undefined && spent[period] + o.micros > cap)
          return {
            ok: false,
            period,
            capMicros: cap,
            spentMicros: spent[period],
            resetsAt: windowOf(period, o.at).end,
          };
      }
      await tx.query(
        `INSERT INTO ledger (key, repo, goal_key, kind, reserved_micros, at)
         VALUES ($1, $2, $3, 'task', $4, $5)`,
        [o.key, o.repo, o.goalKey, o.micros, new Date(o.at).toISOString()],
      );
      return { ok: true };
    });
  }

  /** Replace an attempt's reservation by what it cost (0: it never ran). */
  async settle(key: string, spentMicros: number, at: number): Promise<void> {
    await this.db.query(
      `UPDATE ledger SET reserved_micros = 0, spent_micros = $2, settled_at = $3 WHERE key = $1`,
      [key, Math.max(0, Math.round(spentMicros)), new Date(at).toISOString()],
    );
  }

  /** Money spent outside a reservation (planner calls): counted against the caps from now on. */
  async charge(o: {
    key: string;
    repo: string;
    goalKey: string;
    kind: string;
    micros: number;
    at: number;
  }): Promise<void> {
    const at = new Date(o.at).toISOString();
    await this.db.query(
      `INSERT INTO ledger (key, repo, goal_key, kind, spent_micros, at, settled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (key) DO NOTHING`,
      [o.key, o.repo, o.goalKey, o.kind, Math.max(0, Math.round(o.micros)), at],
    );
  }

  /** What a repository's day and month (UTC) have spent or hold, at `at`. */
  async spend(repo: string, at: number): Promise<Spend> {
    return spendIn(this.db, repo, at);
  }

  /** Run one goal's reconcile alone: no other replica reconciles the same goal meanwhile. */
  goalLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.db.withLock(`goal:${key}`, fn);
  }

  /**
   * Claim the sweep due at `at` (every `everyMs`): true for the one replica that takes it, false
   * when another swept less than `everyMs` ago. `last` is when the last sweep was claimed.
   */
  async claimSweep(at: number, everyMs: number): Promise<{ claimed: boolean; last: number }> {
    const now = new Date(at).toISOString();
    const due = new Date(at - everyMs).toISOString();
    const rows = await this.db.query<{ last_at: Date | string }>(
      `INSERT INTO sweeps (id, last_at) VALUES (1, $1)
       ON CONFLICT (id) DO UPDATE SET last_at = EXCLUDED.last_at WHERE sweeps.last_at <= $2
       RETURNING last_at`,
      [now, due],
    );
    if (rows.length) return { claimed: true, last: at };
    const [row] = await this.db.query<{ last_at: Date | string }>(
      'SELECT last_at FROM sweeps WHERE id = 1',
    );
    return { claimed: false, last: row ? new Date(row.last_at).getTime() : 0 };
  }

  /** For /healthz: the store answers, and which kind it is. */
  async health(): Promise<{ ok: boolean; kind: Db['kind']; detail: string }> {
    try {
      const [row] = await this.db.query<{ version: number }>(
        'SELECT max(version) AS version FROM schema_migrations',
      );
      return { ok: true, kind: this.db.kind, detail: `schema version ${row?.version ?? 0}` };
    } catch (e) {
      return { ok: false, kind: this.db.kind, detail: (e as Error).message };
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * A repository's caps, in micro-dollars (absent: no cap): its UTC day and month, and its
 * account's month (every repository of the installation together).
 */
export interface Caps {
  daily?: number | undefined;
  monthly?: number | undefined;
  account?: number | undefined;
}

/** What a repository's day and month, and its account's month, have spent or hold. */
export interface Spend {
  daily: number;
  monthly: number;
  account: number;
}

const ownerOf = (repo: string) => repo.split('/')[0]!;

/** A reservation held, or the cap that refused it. */
export type Held =
  | { ok: true }
  | {
      ok: false;
      period: 'daily' | 'monthly' | 'account';
      capMicros: number;
      spentMicros: number;
      /** When the period ends (epoch ms, UTC midnight). */
      resetsAt: number;
    };

/** The UTC day or month `at` falls in. */
export function windowOf(
  period: 'daily' | 'monthly' | 'account',
  at: number,
): { start: number; end: number } {
  const d = new Date(at);
  if (period === 'daily') {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { start, end: start + 24 * 3600_000 };
  }
  return {
    start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}

async function spendIn(q: Queries, repo: string, at: number): Promise<Spend> {
  const day = windowOf('daily', at);
  const month = windowOf('monthly', at);
  type Sum = string | number | null;
  const [row] = await q.query<{ daily: Sum; monthly: Sum; account: Sum }>(
    `SELECT
       sum(reserved_micros + spent_micros) FILTER (WHERE repo = $1 AND at >= $3 AND at < $4) AS daily,
       sum(reserved_micros + spent_micros) FILTER (WHERE repo = $1) AS monthly,
       sum(reserved_micros + spent_micros) AS account
     FROM ledger WHERE split_part(repo, '/', 1) = $2 AND at >= $5 AND at < $6`,
    [
      repo,
      ownerOf(repo),
      new Date(day.start).toISOString(),
      new Date(day.end).toISOString(),
      new Date(month.start).toISOString(),
      new Date(month.end).toISOString(),
    ],
  );
  return {
    daily: Number(row?.daily ?? 0),
    monthly: Number(row?.monthly ?? 0),
    account: Number(row?.account ?? 0),
  };
}

/** A connection string without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'an unparsable URL';
  }
}
