/**
 * The App's store under a real goal: the demo's goal run end to end on the stand-in (real App in
 * Probot, Action, git and CI, as `npm run demo` runs it) with the store on PGlite in memory and on
 * a PostgreSQL server of its own, every call the store makes to its database counted and timed.
 * The counting wraps the store's `Db` from outside (query, exec, transaction); the store is not
 * changed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Db, Queries } from '../src/app/store/db.js';
import { GantryStore } from '../src/app/store/store.js';
import { ScriptedPlanner } from '../src/planner/scripted-planner.js';
import { GoalView } from '../src/standin/goal-view.js';
import { runApp } from '../src/standin/run-app.js';
import { setUpDemoRepo } from '../src/standin/demo-repo.js';
import { GANTRY_DIR, SAMPLE_ISSUE, samplePlan } from '../src/standin/sample.js';
import { StandIn } from '../src/standin/stand-in.js';
import { tick } from '../src/standin/ticks.js';
import { startPostgres } from '../test/support/postgres-server.js';

/** One call of the store to its database: a statement, an exec script, or a whole transaction. */
interface Op {
  label: string;
  ms: number;
  /** SQL statements it sent (a transaction's statements; 1 otherwise). */
  statements: number;
}

/** What the store did on one backend, and the goal it did it for. */
export interface StoreRun {
  backend: string;
  status: string;
  landed: number;
  taskRuns: number;
  ciRuns: number;
  wallMs: number;
  ops: Op[];
}

/** `INSERT goal_events`, `SELECT breakers`, …: what a statement does to which table. */
export function label(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  const m =
    /^(INSERT) INTO (\w+)/i.exec(s) ??
    /^(DELETE) FROM (\w+)/i.exec(s) ??
    /^(UPDATE) (\w+)/i.exec(s) ??
    /^(SELECT) .*? FROM (\w+)/i.exec(s);
  const lock = /\bFOR UPDATE\b/i.test(s) ? ' FOR UPDATE' : '';
  return m ? `${m[1]!.toUpperCase()} ${m[2]}${lock}` : s.slice(0, 40);
}

/**
 * Count and time every call `store` makes to its database from now on: `db.query`, `db.exec`
 * and `db.transaction` are replaced on the store's own `Db` object (a transaction is one
 * operation, labelled by its statements, timed whole, and counts the statements it sent).
 */
export function countOps(store: GantryStore): Op[] {
  const ops: Op[] = [];
  const db: Db = store.db;
  const query = db.query.bind(db);
  const exec = db.exec.bind(db);
  const transaction = db.transaction.bind(db);
  const timed = async <T>(run: () => Promise<T>, op: Omit<Op, 'ms'>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      ops.push({ ...op, ms: performance.now() - t0 });
    }
  };
  db.query = <T>(sql: string, params?: readonly unknown[]) =>
    timed(() => query<T>(sql, params), { label: label(sql), statements: 1 });
  db.exec = (sql: string) => timed(() => exec(sql), { label: `exec ${label(sql)}`, statements: 1 });
  db.transaction = async <T>(fn: (tx: Queries) => Promise<T>) => {
    const inside: string[] = [];
    const t0 = performance.now();
    try {
      return await transaction((tx) =>
        fn({
          query: <R>(sql: string, params?: readonly unknown[]) => {
            inside.push(label(sql));
            return tx.query<R>(sql, params);
          },
          exec: (sql: string) => {
            inside.push(`exec ${label(sql)}`);
            return tx.exec(sql);
          },
        }),
      );
    } finally {
      ops.push({
        label: `transaction (${[...new Set(inside)].join(', ')})`,
        ms: performance.now() - t0,
        statements: inside.length,
      });
    }
  };
  return ops;
}

/**
 * The demo's goal (4 tasks, one red CI and a retry) on a fresh stand-in, the App's store being
 * `store`: labelled, every box and Start ticked, run to its end, as `npm run demo` does.
 */
export async function runSampleGoal(
  store: GantryStore,
  backend: string,
): Promise<StoreRun & { problems: string[] }> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-store-'));
  const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
  try {
    // The demo's repository: the sample, its scripted agent's first try at T2 breaking a test.
    const repo = await setUpDemoRepo(
      standIn,
      {},
      { live: false, agentScript: undefined },
      dir,
      () => {},
    );
    const issue = standIn.store.addIssue(repo, 'maint', SAMPLE_ISSUE.title, SAMPLE_ISSUE.body);
    const stateKey = randomBytes(32).toString('hex');
    const planner = new ScriptedPlanner(samplePlan(), 'the sample plan');
    const ops = countOps(store);
    const app = await runApp(standIn, { planner: () => planner, stateKey, store });
    try {
      const view = new GoalView(standIn, repo, issue, stateKey);
      const over = () => view.over();
      const maint = standIn.as('maint');
      const where = { owner: repo.owner, repo: repo.name, issue_number: issue.number };
      await maint.rest.issues.addLabels({ ...where, labels: ['gantry'] });
      await app.until(() => view.state()?.status === 'awaiting-approval' || over(), 5);
      const planned = view.state();
      if (planned?.status !== 'awaiting-approval' || !planned.plan)
        throw new Error(`the goal on ${backend} was not planned: ${planned?.status ?? 'no plan'}`);
      const comment = view.planComment()!;
      await maint.rest.issues.updateComment({
        ...where,
        comment_id: comment.id,
        body: tick(comment.body, [...planned.plan.tasks.map((t) => t.id), 'Start']),
      });
      await app.until(over, 40);
      const s = view.state();
      return {
        backend,
        status: s?.status ?? 'not planned',
        landed: s?.tasks.filter((t) => t.status === 'done').length ?? 0,
        taskRuns: standIn.actions.runs.length,
        ciRuns: standIn.ci.suites.length,
        wallMs: performance.now() - t0,
        ops,
        problems: standIn.problems(),
      };
    } finally {
      await app.close();
    }
  } finally {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The goal on PGlite in memory, then on a PostgreSQL server started for it (when installed). */
export async function storeRuns(note: (line: string) => void): Promise<StoreRun[]> {
  const runs: StoreRun[] = [];
  const backends: {
    name: string;
    open: () => Promise<{ url?: string; stop?: () => Promise<void> }>;
  }[] = [
    { name: 'PGlite (in memory)', open: () => Promise.resolve({}) },
    {
      name: 'PostgreSQL server (loopback, pg pool)',
      open: async () => {
        const server = await startPostgres();
        return { url: server.url, stop: () => server.stop() };
      },
    },
  ];
  for (const b of backends) {
    let where: { url?: string; stop?: () => Promise<void> };
    try {
      where = await b.open();
    } catch (e) {
      note(`${b.name}: not measured (${(e as Error).message}).`);
      continue;
    }
    try {
      const store = await GantryStore.open({ databaseUrl: where.url });
      try {
        const run = await runSampleGoal(store, b.name);
        if (run.status !== 'done' || run.problems.length)
          throw new Error(
            `the goal on ${b.name} ended ${run.status}: ${run.problems.join('; ') || 'no problem reported'}`,
          );
        runs.push(run);
      } finally {
        await store.close();
      }
    } finally {
      await where.stop?.();
    }
  }
  return runs;
}
