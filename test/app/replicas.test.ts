import nock from 'nock';
import type { Probot } from 'probot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gantryApp, type GantryApp } from '../../src/app/app.js';
import { GantryStore } from '../../src/app/store/store.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { DIAMOND, KEY } from '../support/app-harness.js';
import { GANTRY_APP_ID, MemoryGitHub } from '../support/memory-github.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { testProbot } from '../support/probot.js';
import { taskResult } from '../support/task-result.js';

const FILES: Record<string, string[]> = {
  T1: ['src/greet.ts'],
  T2: ['test/greet.test.ts'],
  T3: ['README.md'],
  T4: ['src/index.ts'],
};

let server: PostgresServer;
beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  server = await startPostgres();
}, 120_000);
// Each test starts from an empty database: its GitHub in memory starts again at issue 1, comment
// 9000 and delivery d-1.
beforeEach(async () => {
  const store = await GantryStore.open({ databaseUrl: server.url });
  try {
    await store.db.exec(
      'TRUNCATE goal_hints, goal_states, breakers, breaker_outcomes, goal_events, ledger, sweeps',
    );
  } finally {
    await store.close();
  }
});
afterAll(async () => {
  nock.enableNetConnect();
  await server?.stop();
});

interface Replica {
  app: GantryApp;
  probot: Probot;
  store: GantryStore;
}

/** Replicas of the App sharing one PostgreSQL (each with its own pools) and one GitHub. */
async function replicas(n: number, github: MemoryGitHub, errors: unknown[]): Promise<Replica[]> {
  const planner = await ScriptedPlanner.fromFile(DIAMOND);
  return Promise.all(
    Array.from({ length: n }, async () => {
      const store = await GantryStore.open({ databaseUrl: server.url });
      const app = gantryApp({
        planner: () => planner,
        stateKey: KEY,
        appId: GANTRY_APP_ID,
        onJobError: (_goal, e) => errors.push(e),
        retryDelaysMs: [0, 0],
        github: { repository: () => github.port, app: () => github.app },
        store,
      });
      return { app, probot: await testProbot(app), store };
    }),
  );
}

describe('several App replicas on one PostgreSQL', () => {
  it('reconcile each goal one at a time: every delivery sent twice to different replicas, and hints for one goal at once to all, and nothing runs or lands twice', async () => {
    const github = new MemoryGitHub();
    const errors: unknown[] = [];
    const all = await replicas(3, github, errors);
    let n = 0;
    const idle = () => Promise.all(all.map((r) => r.app.idle()));
    /** GitHub's webhooks for the App's own writes: each to every replica at once. */
    const echoes = async () => {
      for (let round = 0; github.echoes.length > 0; round++) {
        if (round === 10) throw new Error('the replicas keep reacting to their own writes');
        for (const echo of github.echoes.splice(0)) await everywhere(echo.name, echo.payload);
      }
    };
    /** Each delivery goes to two replicas at once, with its one id (GitHub's redelivery). */
    const deliver = async (name: string, payload: object) => {
      const id = `d-${++n}`;
      const to = [all[n % 3]!, all[(n + 1) % 3]!];
      await Promise.all(to.map((r) => r.probot.receive({ id, name, payload } as never)));
      await idle();
      await echoes();
    };
    /** Hints for one goal reaching every replica at the same moment (distinct deliveries). */
    const everywhere = async (name: string, payload: object) => {
      await Promise.all(
        all.map((r) => r.probot.receive({ id: `x-${++n}`, name, payload } as never)),
      );
      await idle();
    };

    try {
      await deliver('issues', github.label('gantry'));
      await deliver('issue_comment', github.addComment('/gantry approve', 'maint').payload);
      await everywhere('issue_comment', github.addComment('/gantry start', 'maint').payload);
      await echoes();
      for (let round = 0; round < 10; round++) {
        const open = github.runs.filter((r) => r.status !== 'completed');
        if (!open.length) break;
        for (const run of open) {
          const task = run.inputs.task_id!;
          const done = github.finishRun(
            run.id,
            taskResult(task, Number(run.inputs.attempt), { filesChanged: FILES[task] }),
          );
          // The same run's webhook reaches every replica at once, as distinct deliveries.
          await everywhere('workflow_run', done);
          await echoes();
        }
      }
      expect(errors).toEqual([]);
      const attempts = github.runs.map((r) => `${r.inputs.task_id}/${r.inputs.attempt}`);
      expect(attempts).toEqual(['T1/1', 'T2/1', 'T3/1', 'T4/1']);
      expect(github.calls.filter((c) => c === 'merge')).toHaveLength(4);
      expect(
        github.botComments().filter((c) => c.body.startsWith('<!-- gantry:plan')),
      ).toHaveLength(1);
    } finally {
      await Promise.all(all.map((r) => r.store.close()));
    }
  }, 120_000);

  it('run twenty goals of one repository at once under a daily cap below their total: none runs or lands twice, spend never passes the cap, each goal ends done or paused by the cap; a replica that dies midway changes nothing', async () => {
    const github = new MemoryGitHub();
    github.config = 'budget:\n  dailyUsd: 18.00\n';
    const GOALS = 20;
    for (let k = 2; k <= GOALS; k++)
      github.addIssue({ number: k, title: `Goal ${k}`, body: 'Do the thing.' });
    const errors: unknown[] = [];
    const all = await replicas(3, github, errors);
    let live = all;
    let n = 0;
    const idle = () => Promise.all(live.map((r) => r.app.idle()));
    // Every delivery to two live replicas at once, with one id (a redelivery); echoes the same.
    const deliver = async (name: string, payload: object) => {
      const id = `d-${++n}`;
      const to = [live[n % live.length]!, live[(n + 1) % live.length]!];
      await Promise.all(to.map((r) => r.probot.receive({ id, name, payload } as never)));
    };
    const settle = async () => {
      for (let round = 0; round < 20; round++) {
        await idle();
        if (!github.echoes.length) return;
        await Promise.all(github.echoes.splice(0).map((e) => deliver(e.name, e.payload)));
      }
      throw new Error('the replicas keep reacting to their own writes');
    };
    const repo = 'Codertocat/Hello-World';
    const spentToday = async () => (await all[0]!.store.spend(repo, Date.now())).daily;
    let most = 0;
    try {
      await Promise.all(
        Array.from({ length: GOALS }, (_, k) =>
          deliver('issues', github.label('gantry', 'maint', k + 1)),
        ),
      );
      await settle();
      // As people do: approve, then (once the approvals are shown) start.
      for (let k = 1; k <= GOALS; k++)
        await deliver('issue_comment', github.addComment('/gantry approve', 'maint', k).payload);
      await settle();
      for (let k = 1; k <= GOALS; k++)
        await deliver('issue_comment', github.addComment('/gantry start', 'maint', k).payload);
      await settle();
      for (let round = 0; round < 30; round++) {
        most = Math.max(most, await spentToday());
        const open = github.runs.filter((r) => r.status !== 'completed');
        if (!open.length) break;
        // Midway one replica dies: its pools closed, nothing more reaches it.
        if (round === 1) {
          const dead = live[2]!;
          live = live.slice(0, 2);
          await dead.app.idle();
          await dead.store.close();
        }
        await Promise.all(
          open.map((run) => {
            const goal = Number(run.inputs.goal);
            const task = run.inputs.task_id!;
            const attempt = Number(run.inputs.attempt);
            const result = taskResult(task, attempt, { goal, filesChanged: FILES[task] });
            return deliver('workflow_run', github.finishRun(run.id, result));
          }),
        );
        await settle();
      }
      most = Math.max(most, await spentToday());
      expect(errors).toEqual([]);
      const attempts = github.runs.map(
        (r) => `${r.inputs.goal}:${r.inputs.task_id}/${r.inputs.attempt}`,
      );
      expect(new Set(attempts).size).toBe(attempts.length);
      expect(attempts.every((a) => a.endsWith('/1'))).toBe(true);
      expect(github.calls.filter((c) => c === 'merge').length).toBe(attempts.length);
      expect(most).toBeLessThanOrEqual(18_000_000);
      const ends = Array.from({ length: GOALS }, (_, k) => {
        const plan = github
          .botComments(k + 1)
          .findLast((c) => c.body.startsWith('<!-- gantry:plan'))!;
        return /Spending cap: the repository's daily cap of \$18\.00 is reached/.test(plan.body)
          ? 'paused by the cap'
          : /gantry:done/.test(github.issue(k + 1).labels.join(' '))
            ? 'done'
            : `other: ${github.issue(k + 1).labels.join(' ')}`;
      });
      expect(ends.filter((e) => e.startsWith('other'))).toEqual([]);
      expect(ends).toContain('done');
      expect(ends).toContain('paused by the cap');
    } finally {
      await Promise.all(live.map((r) => r.store.close()));
    }
  }, 300_000);

  it('share the timer sweep: of replicas due at once one sweeps, and the next is due after the interval', async () => {
    const stores = await Promise.all(
      [1, 2, 3].map(() => GantryStore.open({ databaseUrl: server.url })),
    );
    try {
      const at = Date.UTC(2026, 11, 3, 12);
      const claims = await Promise.all(stores.map((s) => s.claimSweep(at, 600_000)));
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      expect(claims.map((c) => c.last)).toEqual([at, at, at]);
      expect((await stores[0]!.claimSweep(at + 300_000, 600_000)).claimed).toBe(false);
      expect((await stores[1]!.claimSweep(at + 600_000, 600_000)).claimed).toBe(true);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
