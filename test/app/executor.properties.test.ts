import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecoveryAction } from '../../src/core/events.js';
import { defaultGoalSettings, type GoalState } from '../../src/core/goal.js';
import { owedEffects } from '../../src/core/owed-effects.js';
import { simulate, type SimulationOptions } from '../../src/sim/simulate.js';
import { appHarness, type Harness } from '../support/app-harness.js';
import { driveApp, type AppRun, type Chaos, type WorldAnswers } from '../support/drive-app.js';
import { arbPlan } from '../support/plans.js';
import { chance } from '../support/chance.js';

/**
 * The App's executor (`runTasks`, through the GitHub port, in a real Probot) driven through the
 * same kind of random worlds as the simulator's properties (test/core/step.properties.test.ts):
 * random DAGs of 1-5 tasks, flaky agents, red CI, merge conflicts, recovery that retries or
 * escalates, batches, parallelism, small budgets; and, in half the worlds, chaos that must change
 * nothing (restarts, failed writes, lost answers, lost and repeated webhooks, extra sweeps).
 */
const arbWorld = fc.record({
  plan: arbPlan({ maxTasks: 5 }),
  seed: fc.integer(),
  failRate: fc.constantFrom<number>(0, 0.2, 0.5),
  redRate: fc.constantFrom<number>(0, 0.25),
  conflictRate: fc.constantFrom<number>(0, 0.15),
  maxParallel: fc.integer({ min: 1, max: 4 }),
  landingBatch: fc.integer({ min: 1, max: 3 }),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  goalUsd: fc.constantFrom<number>(1, 3, 50, 50),
  escalate: fc.boolean(),
  chaos: fc.boolean(),
});
type World = typeof arbWorld extends fc.Arbitrary<infer W> ? W : never;

/**
 * The world's answers, shared by the App's driver and the simulator. CI's verdict is a function
 * of what a sha contains (the landed `task/attempt`s), not of its name: the simulator and the
 * in-memory git name shas differently, and content is what CI judges anyway.
 */
function answers(w: World): WorldAnswers {
  return {
    plan: w.plan,
    config: [
      `maxParallel: ${w.maxParallel}`,
      `landingBatch: ${w.landingBatch}`,
      `maxAttempts: ${w.maxAttempts}`,
      `budget: { goalUsd: ${w.goalUsd} }`,
      // The simulator has no repository breaker (it spans goals): keep it out of these worlds.
      'breaker: { threshold: 100 }',
    ].join('\n'),
    // Millisecond times, so two events rarely fall on the same instant (ties are ordered by
    // arrival in both, but arrival within one reconcile is the App's own order).
    taskMs: (id, a) => 1000 + Math.floor(chance(w.seed, `time${id}${a}`) * 30_000),
    ciMs: 5000,
    agentOutcome: (id, a) =>
      chance(w.seed, `agent${id}${a}`) < w.failRate ? 'failure' : 'success',
    ciRed: (content) => chance(w.seed, `ci${content.join(',')}`) < w.redRate,
    conflict: (id, a) => chance(w.seed, `conflict${id}${a}`) < w.conflictRate,
    recovery: (_id, attempt): RecoveryAction =>
      w.escalate && attempt > 1
        ? { kind: 'escalate', question: 'help?' }
        : { kind: 'retry', guidance: 'again' },
    costUsd: 0.25,
    ...(w.chaos ? { chaos: (n: number) => chaos(w.seed, n) } : {}),
  };
}

/** Writes a goal makes often (one made once, like createPull, would sit injected for good). */
const FLAKY_WRITES = ['merge', 'dispatchWorkflow', 'updateComment', 'updateBranch'] as const;

/** Trouble around the n-th delivery: each kind now and then, a few together at times. */
function chaos(seed: number, n: number): Chaos {
  const p = (kind: string) => chance(seed, `${kind}${n}`);
  const method = FLAKY_WRITES[Math.floor(p('which') * FLAKY_WRITES.length)]!;
  return {
    restart: p('restart') < 0.05,
    ...(p('fail') < 0.4 ? { fail: { method, done: p('done') < 0.5 } } : {}),
    lose: p('lose') < 0.1,
    duplicate: p('duplicate') < 0.15,
    sweep: p('sweep') < 0.15,
  };
}

/** The same world for the simulator. */
function simOptions(w: World): SimulationOptions {
  const a = answers(w);
  let latest: GoalState | undefined;
  const attemptOf = (id: string) => {
    const i = latest!.plan!.tasks.findIndex((t) => t.id === id);
    return latest!.tasks.at(i)!.attempt;
  };
  return {
    plan: w.plan,
    settings: {
      ...defaultGoalSettings,
      maxParallel: w.maxParallel,
      landingBatch: w.landingBatch,
      maxAttempts: w.maxAttempts,
      budget: { ...defaultGoalSettings.budget, goalUsd: w.goalUsd },
    },
    taskMs: a.taskMs,
    ciMs: a.ciMs,
    agentOutcome: a.agentOutcome,
    // A landed task's attempt is its current one: it cannot start another while it is landed.
    ciRed: (_sha, landed) => a.ciRed(landed.map((id) => `${id}/${attemptOf(id)}`).sort()),
    conflict: a.conflict,
    recovery: (fx) => a.recovery(fx.taskId, fx.attempt),
    costUsd: () => a.costUsd,
    observe: (_e, res) => (latest = res.state),
  };
}

/** What must come out the same: the goal's status, every task's status and attempts, the spend. */
const outcome = (s: GoalState) => ({
  status: s.status,
  tasks: s.tasks.toArray().map((t) => [t.status, t.attempt]),
  spentMicros: s.budget.spentMicros,
});

/** More runs on demand: FC_RUNS=500 npx vitest run test/app/executor.properties.test.ts */
const RUNS = Number(process.env.FC_RUNS ?? 100);
/** A fixed seed by default, so the non-vacuity checks cannot flake; FC_SEED=<n> explores. */
const SEED = Number(process.env.FC_SEED ?? 20261202);

const ENDED = ['done', 'partial', 'paused'];
const ONLY_WRITES_STATE = new Set(['set-labels', 'update-plan-comment']);

/** What the worlds of one property held, to show it was not vacuous. */
interface Seen {
  reds: number;
  conflicts: number;
  retried: number;
  ended: Set<string>;
  chaos: Record<keyof Chaos, number>;
}

describe("the App's executor in random worlds", () => {
  const start = appHarness();

  /**
   * Drive the App through random worlds, checking each run; fails on any goal job error. Each
   * property has its own seed (`SEED + salt`), so together they see more worlds.
   */
  async function inWorlds(
    salt: number,
    check: (w: World, run: AppRun, h: Harness) => void,
  ): Promise<Seen> {
    const seen: Seen = {
      reds: 0,
      conflicts: 0,
      retried: 0,
      ended: new Set(),
      chaos: { restart: 0, fail: 0, lose: 0, duplicate: 0, sweep: 0 },
    };
    await fc.assert(
      fc.asyncProperty(arbWorld, async (w) => {
        const h = await start();
        let run: AppRun;
        try {
          run = await driveApp(h, answers(w));
        } finally {
          await h.app.idle();
          h.app.close();
        }
        expect(h.errors).toEqual([]);
        expect(h.invalid).toEqual([]);
        check(w, run, h);
        seen.reds += h.github.code.suites.filter((x) => x.conclusion === 'failure').length;
        seen.conflicts += run.conflicts;
        seen.retried += run.final.tasks.filter((t) => t.attempt > 1).length;
        seen.ended.add(run.final.status);
        for (const [k, n] of Object.entries(run.chaos)) seen.chaos[k as keyof Chaos] += n;
      }),
      { numRuns: RUNS, seed: SEED + salt },
    );
    return seen;
  }

  /** The worlds had red CI, conflicts, retries, every kind of chaos and more than one ending. */
  function expectVaried(seen: Seen): void {
    expect(seen.reds).toBeGreaterThan(0);
    expect(seen.conflicts).toBeGreaterThan(0);
    expect(seen.retried).toBeGreaterThan(0);
    expect(
      Object.values(seen.chaos).every((n) => n > 0),
      JSON.stringify(seen.chaos),
    ).toBe(true);
    expect(seen.ended.size).toBeGreaterThan(1);
  }

  it('dispatches each attempt at most once, after its dependencies, on the last green sha', async () => {
    const seen = await inWorlds(0, (_w, run, h) => {
      const plan = run.final.plan!;
      // Runs GitHub made, so restarts, lost answers, duplicates and sweeps are all counted.
      const keys = run.dispatches.map((d) => `${d.taskId}/${d.attempt}`);
      expect(keys, 'an attempt was dispatched twice').toEqual([...new Set(keys)]);
      for (const d of run.dispatches) {
        const what = `${d.taskId}/${d.attempt}`;
        // Its dependencies are done, and their work is in the sha it starts from.
        for (const dep of plan.tasks.find((t) => t.id === d.taskId)!.dependsOn) {
          expect(d.baseContent, `${what} started without ${dep}`).toContain(dep);
          const j = plan.tasks.findIndex((t) => t.id === dep);
          expect(d.state.tasks.at(j)!.status, `${what} before ${dep} was done`).toBe('done');
        }
        // The last green sha: the goal's, and one CI passed (or the base the goal started from).
        expect(d.baseSha, `${what} not on the last green sha`).toBe(d.state.lastGreen);
        const ci = h.github.code.suites.find((x) => x.sha === d.baseSha && x.runs.length > 0);
        if (d.baseSha !== run.base) expect(ci?.conclusion, `${what} on unjudged`).toBe('success');
      }
    });
    expectVaried(seen);
  }, 120_000);

  it('keeps the goal branch on green shas only, through crashes, lost answers and red CI', async () => {
    let heads = 0;
    const seen = await inWorlds(1, (_w, run) => {
      // After every reconcile: the base, or a candidate CI judged green. Candidates are merged
      // on refs of their own; the goal branch only fast-forwards to green ones.
      for (const head of run.heads) {
        if (head.sha === run.base) continue;
        heads++;
        expect(head.conclusion, `left on ${head.sha}, not judged green`).toBe('success');
      }
    });
    expectVaried(seen);
    expect(heads).toBeGreaterThan(0);
  }, 120_000);

  it('ends done, partial or paused and owes nothing more; a calm world ends done with its PR ready', async () => {
    const seen = await inWorlds(2, (w, run, h) => {
      const s = run.final;
      expect(ENDED).toContain(s.status);
      // Nothing left to carry out but writing the state (the comment and labels).
      const owed = owedEffects(s, h.clock.now).filter((e) => !ONLY_WRITES_STATE.has(e.type));
      expect(owed, `a ${s.status} goal still owes`).toEqual([]);
      const calm = w.failRate === 0 && w.redRate === 0 && w.conflictRate === 0;
      if (calm && w.goalUsd === 50) expect(s.status, 'a calm world').toBe('done');
      if (s.status !== 'done') return;
      expect(s.tasks.toArray().map((t) => t.status)).toEqual(s.tasks.toArray().map(() => 'done'));
      expect(
        h.github.pulls.map((p) => p.draft),
        'the PR is ready',
      ).toEqual([false]);
      expect(run.heads.at(-1)?.conclusion, 'the goal branch ends green').toBe('success');
    });
    expectVaried(seen);
    expect([...seen.ended].sort()).toEqual([...ENDED].sort());
  }, 120_000);

  it('ends every world as the simulator does: the same statuses, attempts and spend', async () => {
    // The same schedule: runs finish and CI answers at the same times, in the same order.
    const seen = await inWorlds(3, (w, run) => {
      const sim = simulate(simOptions(w));
      expect(outcome(run.final), 'the App and the simulator disagree').toEqual(outcome(sim.state));
    });
    expectVaried(seen);
  }, 120_000);
});
