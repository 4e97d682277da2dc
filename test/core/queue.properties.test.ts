import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queueDepthOf } from '../../src/core/candidates.js';
import { defaultGoalSettings, type GoalSettings, type GoalState } from '../../src/core/goal.js';
import { simulate, type SimulationOptions } from '../../src/sim/simulate.js';
import { chance } from '../support/chance.js';
import { arbPlan } from '../support/plans.js';

/** Random DAGs, random red verdicts (and flaky agents, conflicts), queue depths and batches. */
const arbWorld = fc.record({
  plan: arbPlan({ maxTasks: 10 }),
  seed: fc.integer(),
  failRate: fc.constantFrom<number>(0, 0.2),
  redRate: fc.constantFrom<number>(0.2, 0.4),
  conflictRate: fc.constantFrom<number>(0, 0.1),
  maxParallel: fc.integer({ min: 1, max: 4 }),
  landingBatch: fc.integer({ min: 1, max: 3 }),
  queueDepth: fc.integer({ min: 1, max: 5 }),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
});
type World = typeof arbWorld extends fc.Arbitrary<infer W> ? W : never;

function options(w: World, extra: Partial<SimulationOptions> = {}): SimulationOptions {
  const settings: GoalSettings = {
    ...defaultGoalSettings,
    maxParallel: w.maxParallel,
    landingBatch: w.landingBatch,
    queueDepth: w.queueDepth,
    maxAttempts: w.maxAttempts,
    budget: { ...defaultGoalSettings.budget, goalUsd: 1e6 },
  };
  return {
    plan: w.plan,
    settings,
    taskMs: (id, a) => 1000 * (1 + Math.floor(chance(w.seed, `time${id}${a}`) * 30)),
    // CI longer than most runs: candidates stack up in the queue.
    ciMs: 15_000,
    agentOutcome: (id, a) =>
      chance(w.seed, `agent${id}${a}`) < w.failRate ? 'failure' : 'success',
    // Red on a sha that holds a task CI dislikes (its attempt 1): a red candidate reddens every
    // candidate stacked on it, as a real breakage does.
    ciRed: (_sha, landed) => landed.some((id) => chance(w.seed, `red${id}`) < w.redRate),
    conflict: (id, a) => chance(w.seed, `conflict${id}${a}`) < w.conflictRate,
    recovery: () => ({ kind: 'retry', guidance: 'again' }),
    ...extra,
  };
}

const RUNS = Number(process.env.FC_RUNS ?? 150);
const ENDED = new Set(['done', 'partial']);

const ids = (s: GoalState, members: { task: number }[]) =>
  members.map((m) => s.plan!.tasks[m.task]!.id);

describe('the speculative queue', () => {
  it('moves the goal branch only forward, never forced, and only to green candidates', () => {
    let reds = 0;
    fc.assert(
      fc.property(arbWorld, (w) => {
        const greens = new Set<string>(['base']);
        const r = simulate(
          options(w, {
            observe: (e, res) => {
              if (e.type !== 'ci.verdict' || res.ignored) return;
              if (e.verdict === 'green') greens.add(e.sha);
              else reds++;
            },
          }),
        );
        expect(ENDED.has(r.state.status)).toBe(true);
        expect(r.goalRefs.length).toBeGreaterThan(0);
        for (const ref of r.goalRefs) {
          expect(ref.forced).toBe(false);
          expect(greens).toContain(ref.sha);
        }
        // Forward only: each position holds every task of the one before it.
        for (let k = 1; k < r.goalRefs.length; k++) {
          const now = r.tasksIn(r.goalRefs[k]!.sha);
          for (const id of r.tasksIn(r.goalRefs[k - 1]!.sha)) expect(now).toContain(id);
        }
        expect(r.goalRefs.at(-1)!.sha).toBe(r.state.lastGreen);
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: candidates did go red.
    expect(reds).toBeGreaterThan(20);
  });

  it('moves the goal branch in steps, never more than a queue’s depth of landings behind', () => {
    let lagged = 0;
    fc.assert(
      fc.property(arbWorld, (w) => {
        simulate(
          options(w, {
            observe: (_e, res, _before, owed) => {
              // An ignored event changes nothing, and the simulator derives nothing for it.
              if (res.ignored) return;
              const s = res.state;
              if (!s.branchCreated || s.resetPending || s.goalHead === s.lastGreen) return;
              const behind = s.greenSinceAdvance ?? 0;
              if (behind > 0 && behind < queueDepthOf(s)) lagged++;
              // A queue's depth behind (or the goal not running): the advance is owed at once.
              if (behind >= queueDepthOf(s) || s.status !== 'running')
                expect(owed.map((x) => x.type)).toContain('advance-goal-ref');
            },
          }),
        );
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: the goal branch did wait while candidates were in CI.
    expect(lagged).toBeGreaterThan(20);
  });

  it('lands every task exactly once, or ends it failed or needing a person; the goal branch holds exactly the landed tasks', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        const r = simulate(options(w));
        const s = r.state;
        const landed = r.tasksIn(s.goalHead!);
        // Exactly once: no task's change is on the goal branch twice.
        expect(new Set(landed).size).toBe(landed.length);
        s.tasks.forEach((t, i) => {
          const id = s.plan!.tasks[i]!.id;
          if (t.status === 'done') expect(landed).toContain(id);
          else {
            expect(landed).not.toContain(id);
            expect(['failed', 'needs-human', 'blocked']).toContain(t.status);
          }
        });
        if (s.status === 'done') expect(landed).toHaveLength(s.tasks.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('stacks every candidate on the one before it (or the green head): none holds a dropped one', () => {
    let dropped = 0;
    fc.assert(
      fc.property(arbWorld, (w) => {
        const gone = new Set<string>();
        simulate(
          options(w, {
            observe: (_e, { state: s }, before, _owed, tasksIn) => {
              const green = tasksIn(s.lastGreen!);
              const prefixOfGreen = (sha: string) => tasksIn(sha).every((id, k) => green[k] === id);
              for (const c of before.queue)
                if (c.sha && !s.queue.some((x) => x.n === c.n) && !prefixOfGreen(c.sha)) {
                  gone.add(c.sha);
                  dropped++;
                }
              let expected = green;
              s.queue.forEach((c, k) => {
                expect(c.on).toBe(k === 0 ? s.lastGreen : s.queue[k - 1]!.sha);
                expect(gone).not.toContain(c.on);
                if (!c.sha) return;
                expect(gone).not.toContain(c.sha);
                expected = [
                  ...expected,
                  ...ids(
                    s,
                    c.members.filter((m) => m.sha),
                  ),
                ];
                expect(tasksIn(c.sha)).toEqual(expected);
              });
            },
          }),
        );
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: candidates were dropped.
    expect(dropped).toBeGreaterThan(20);
  });
});
