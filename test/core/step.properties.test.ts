import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Effect } from '../../src/core/effects.js';
import type { LandingResult } from '../../src/core/events.js';
import {
  defaultGoalSettings,
  TASK_STATUSES,
  type GoalSettings,
  type GoalState,
} from '../../src/core/goal.js';
import { step } from '../../src/core/step.js';
import { simulate, type SimulationOptions } from '../../src/sim/simulate.js';
import { arbPlan } from '../support/plans.js';
import { chance } from '../support/chance.js';

/** A random world: task times, flaky agents, red CI, conflicts, batching and parallelism. */
const arbWorld = fc.record({
  plan: arbPlan({ maxTasks: 10 }),
  seed: fc.integer(),
  failRate: fc.constantFrom<number>(0, 0.2, 0.5),
  redRate: fc.constantFrom<number>(0, 0.2),
  conflictRate: fc.constantFrom<number>(0, 0.1),
  maxParallel: fc.integer({ min: 1, max: 4 }),
  landingBatch: fc.integer({ min: 1, max: 3 }),
  queueDepth: fc.integer({ min: 1, max: 4 }),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  goalUsd: fc.constantFrom<number>(1, 3, 50),
  escalate: fc.boolean(),
});
type World = typeof arbWorld extends fc.Arbitrary<infer W> ? W : never;

function options(w: World, extra: Partial<SimulationOptions> = {}): SimulationOptions {
  const settings: GoalSettings = {
    ...defaultGoalSettings,
    maxParallel: w.maxParallel,
    landingBatch: w.landingBatch,
    queueDepth: w.queueDepth,
    maxAttempts: w.maxAttempts,
    budget: { ...defaultGoalSettings.budget, goalUsd: w.goalUsd },
  };
  return {
    plan: w.plan,
    settings,
    taskMs: (id, a) => 1000 * (1 + Math.floor(chance(w.seed, `time${id}${a}`) * 30)),
    ciMs: 5000,
    agentOutcome: (id, a) =>
      chance(w.seed, `agent${id}${a}`) < w.failRate ? 'failure' : 'success',
    ciRed: (sha) => chance(w.seed, `ci${sha}`) < w.redRate,
    conflict: (id, a) => chance(w.seed, `conflict${id}${a}`) < w.conflictRate,
    recovery: (fx) =>
      w.escalate && fx.attempt > 1
        ? { kind: 'escalate', question: 'help?' }
        : { kind: 'retry', guidance: 'again' },
    costUsd: (id, a, max) => max * chance(w.seed, `cost${id}${a}`),
    ...extra,
  };
}

/** The outcome of a run that must not change: statuses, attempts, goal status and effects. */
const outcome = (s: GoalState, fx: Effect[]) => ({
  status: s.status,
  tasks: s.tasks.map((t) => [t.status, t.attempt]),
  head: s.goalHead,
  spent: s.budget.spentMicros,
  effects: fx.map((f) => f.key),
});

/** More runs on demand: FC_RUNS=5000 npx vitest run test/core/step.properties.test.ts */
const RUNS = Number(process.env.FC_RUNS ?? 150);

const TERMINAL = new Set(['done', 'partial', 'cancelled', 'failed', 'paused']);

describe('goal reducer properties', () => {
  it('dispatches a task only when all its dependencies are done, on the validated head', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        const seen = new Set<string>();
        const r = simulate(
          options(w, {
            observe: (_e, res, _before, owed) => {
              for (const fx of owed) {
                // A dispatch is checked when it becomes owed (it stays owed until its run is known).
                if (fx.type !== 'dispatch-task' || seen.has(fx.key)) continue;
                seen.add(fx.key);
                const s = res.state;
                const i = s.plan!.tasks.findIndex((t) => t.id === fx.taskId);
                for (const dep of s.plan!.tasks[i]!.dependsOn) {
                  const j = s.plan!.tasks.findIndex((t) => t.id === dep);
                  expect(['done', 'skipped']).toContain(s.tasks.at(j)!.status);
                }
                expect(fx.baseSha).toBe(s.lastGreen);
              }
            },
          }),
        );
        expect(TERMINAL.has(r.state.status)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('never over-commits the goal budget, and keeps its counters equal to the task sums', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        simulate(
          options(w, {
            observe: (_e, { state: s }) => {
              const b = s.budget;
              expect(b.reservedMicros + b.spentMicros).toBeLessThanOrEqual(b.capMicros);
              expect(b.reservedMicros).toBe(
                s.tasks.toArray().reduce((n, t) => n + t.reservedMicros, 0),
              );
              expect(b.spentMicros).toBe(s.tasks.toArray().reduce((n, t) => n + t.spentMicros, 0));
            },
          }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps status counts, the ready list and the landing exclusive', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        simulate(
          options(w, {
            observe: (_e, { state: s }) => {
              for (const st of TASK_STATUSES)
                expect(s.counts[st]).toBe(s.tasks.filter((t) => t.status === st).length);
              for (const i of s.ready) {
                expect(['queued', 'retrying']).toContain(s.tasks.at(i)!.status);
                expect(s.unmet[i]).toBe(0);
              }
              expect(s.counts.running).toBeLessThanOrEqual(w.maxParallel);
              // What is validating is in a candidate of the queue, at most its depth of them.
              const validating = s.tasks.filter((t) => t.status === 'validating').length;
              const members = s.queue.reduce((n, c) => n + c.members.length, 0);
              expect(validating).toBeLessThanOrEqual(members);
              expect(s.queue.length).toBeLessThanOrEqual(w.queueDepth);
            },
          }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('ends with every task accounted for: done goals have every approved task done', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        const { state: s } = simulate(options(w));
        expect(TERMINAL.has(s.status)).toBe(true);
        if (s.status === 'done') expect(s.tasks.every((t) => t.status === 'done')).toBe(true);
        if (s.status === 'partial')
          expect(s.tasks.some((t) => t.status === 'needs-human' || t.status === 'blocked')).toBe(
            true,
          );
        if (w.failRate === 0 && w.redRate === 0 && w.conflictRate === 0 && w.goalUsd === 50)
          expect(s.status).toBe('done');
      }),
      { numRuns: RUNS },
    );
  });

  it('duplicating any delivered events never changes the outcome', () => {
    fc.assert(
      fc.property(arbWorld, fc.integer(), (w, dupSeed) => {
        const once = simulate(options(w));
        const twice = simulate(
          options(w, {
            deliver: (e) =>
              chance(dupSeed, `${e.type}${e.at}${JSON.stringify(e).length}`) < 0.5 ? [e, e] : [e],
          }),
        );
        expect(outcome(twice.state, twice.effects)).toEqual(outcome(once.state, once.effects));
      }),
      { numRuns: RUNS },
    );
  });

  it('ignores late copies of facts (superseded attempts, old shas) with a reason', () => {
    fc.assert(
      fc.property(arbWorld, (w) => {
        const r = simulate(options({ ...w, failRate: 0.4, redRate: 0.3 }));
        expect(TERMINAL.has(r.state.status)).toBe(true);
        // Redeliver every run result and verdict after the goal ended: none may apply.
        let s = r.state;
        for (const e of r.events) {
          if (
            e.type !== 'task.finished' &&
            e.type !== 'ci.verdict' &&
            e.type !== 'landing.result' &&
            e.type !== 'task.dispatched' &&
            e.type !== 'recovery.proposed'
          )
            continue;
          const res = step(s, { ...e, at: 1e12 });
          expect(
            res.ignored,
            `${JSON.stringify(e)} in ${JSON.stringify(s.queue)} ${s.status}`,
          ).toBeTruthy();
          expect(res.state).toBe(s);
          s = res.state;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is total: random events in any state never throw', () => {
    const arbEvent = fc.oneof(
      fc.record({
        type: fc.constant('task.finished' as const),
        taskId: fc.constantFrom('T1', 'T2', 'T9'),
        attempt: fc.nat(3),
        outcome: fc.constantFrom('success' as const, 'failure' as const),
        usage: fc.record({ costUsd: fc.double({ min: 0, max: 10, noNaN: true }) }),
      }),
      fc.record({
        type: fc.constant('landing.result' as const),
        landing: fc.nat(20),
        taskId: fc.constantFrom('T1', 'T2'),
        attempt: fc.nat(3),
        result: fc.constantFrom<LandingResult>(
          { kind: 'merged', sha: 'x' },
          { kind: 'refused', problems: ['src/x.ts: blocked'] },
        ),
      }),
      fc.record({
        type: fc.constant('ci.verdict' as const),
        sha: fc.constantFrom('x', 'base'),
        verdict: fc.constant('green' as const),
      }),
      fc.record({
        type: fc.constant('base.verdict' as const),
        sha: fc.constantFrom('x', 'base'),
        verdict: fc.constant('green' as const),
      }),
      fc.record({
        type: fc.constant('base.verdict' as const),
        sha: fc.constant('base'),
        verdict: fc.constant('red' as const),
        failedChecks: fc.constant<string[]>(['lint']),
      }),
      fc.record({
        type: fc.constantFrom(
          'pause' as const,
          'resume' as const,
          'cancel' as const,
          'tick' as const,
        ),
      }),
      fc.record({
        type: fc.constantFrom('task.retry' as const, 'task.skip' as const),
        taskId: fc.constantFrom('T1', 'T2', 'T7'),
      }),
      fc.record({
        type: fc.constant('start' as const),
        baseSha: fc.constant('base'),
        planVersion: fc.nat(2),
      }),
      fc.record({
        type: fc.constant('recovery.proposed' as const),
        taskId: fc.constantFrom('T1', 'T2'),
        attempt: fc.nat(3),
        rootCause: fc.string(),
        action: fc.constant({ kind: 'retry' as const, guidance: 'g' }),
      }),
      fc.record({
        type: fc.constant('breaker.changed' as const),
        gate: fc.constantFrom('open' as const, 'closed' as const, 'half-open' as const),
      }),
    );
    fc.assert(
      fc.property(arbWorld, fc.array(arbEvent, { maxLength: 40 }), (w, extra) => {
        const r = simulate({ ...options(w), maxEvents: 30 });
        let s = r.state;
        extra.forEach((e, k) => {
          s = step(s, { ...e, at: 1e9 + k }).state;
        });
        expect(s.counts.running).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS },
    );
  });
});
