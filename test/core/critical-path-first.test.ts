import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dag } from '../../src/core/dag.js';
import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent } from '../../src/core/events.js';
import { defaultGoalSettings, type GoalSettings } from '../../src/core/goal.js';
import type { Plan } from '../../src/core/plan.js';
import { simulate } from '../../src/sim/simulate.js';
import { chance } from '../support/chance.js';
import * as ev from '../support/events.js';
import { HandGoal } from '../support/hand-goal.js';
import { arbPlan, plan, task } from '../support/plans.js';

class Goal extends HandGoal {
  effects: Effect[] = [];
  private seen = new Set<string>();

  send(e: GoalEvent): Effect[] {
    const fresh = this.apply(e).filter((f) => !this.seen.has(f.key));
    for (const f of fresh) this.seen.add(f.key);
    this.effects.push(...fresh);
    return fresh;
  }

  started(p: Plan): Effect[] {
    this.send(ev.planProposed({ plan: p }));
    this.send(
      ev.approve(
        p.tasks.map((t) => t.id),
        { planVersion: this.state.planVersion },
      ),
    );
    const owed = this.send(ev.start({ planVersion: this.state.planVersion }));
    // The base is green: nothing holds landing.
    return [...owed, ...this.send(ev.baseGreen({ sha: this.state.lastGreen! }))];
  }

  merged(taskId: string, sha: string): Effect[] {
    const land = this.landings().filter((f) => f.taskId === taskId);
    return this.send(
      ev.landingResult({ taskId, landing: land.at(-1)?.n ?? -1, result: { kind: 'merged', sha } }),
    );
  }

  dispatched(): string[] {
    return this.effects.flatMap((f) => (f.type === 'dispatch-task' ? [f.taskId] : []));
  }

  landings() {
    return this.effects.filter((f) => f.type === 'land-task');
  }
}

/**
 * Plan order puts the short dead end A first; B is as long but C (30 min) waits for it. X is a
 * long task with nothing after it, there to hold the landing while A and B finish.
 */
const lopsided = (): Plan =>
  plan([
    task('X', [], { estimate: 40 }),
    task('A', [], { estimate: 10 }),
    task('B', [], { estimate: 10 }),
    task('C', ['B'], { estimate: 30 }),
  ]);

describe('critical path first', () => {
  it('dispatches the task with the longest path ahead first when maxParallel holds the rest back', () => {
    const g = new Goal({ maxParallel: 1 });
    g.started(plan([task('A', [], { estimate: 10 }), ...lopsided().tasks.slice(2)]));
    // B (10 + C's 30) before A (10), though A comes first in the plan.
    expect(g.dispatched()).toEqual(['B']);
  });

  it('lands the task whose dependents are the longer chain first, whichever finished first', () => {
    const g = new Goal({ maxParallel: 3, landingBatch: 1 });
    g.started(lopsided());
    expect(g.dispatched()).toEqual(['X', 'A', 'B']);
    g.send(ev.taskFinished({ taskId: 'X' }));
    g.send(ev.taskFinished({ taskId: 'A' }));
    g.send(ev.taskFinished({ taskId: 'B' }));
    // X's candidate is being merged: A and B wait for it, the queue's tip.
    expect(g.landings().map((f) => f.taskId)).toEqual(['X']);
    g.merged('X', 'sx');
    // A finished before B, but C waits for B: B is the next candidate, stacked on X's.
    expect(g.landings().map((f) => f.taskId)).toEqual(['X', 'B']);
    expect(g.landings().at(-1)).toMatchObject({ onto: 'sx', tip: 'sx' });
    g.merged('B', 'sb');
    expect(g.landings().map((f) => f.taskId)).toEqual(['X', 'B', 'A']);
    g.send(ev.ciGreen({ sha: 'sx' }));
    g.send(ev.ciGreen({ sha: 'sb' }));
    expect(g.dispatched().at(-1)).toBe('C');
    expect(g.ignored).toEqual([]);
  });

  it('keeps finish order among tasks with equal paths ahead', () => {
    const g = new Goal({ maxParallel: 3, landingBatch: 1 });
    g.started(plan([task('X', [], { estimate: 40 }), task('A'), task('B')]));
    g.send(ev.taskFinished({ taskId: 'X' }));
    g.send(ev.taskFinished({ taskId: 'B' }));
    g.send(ev.taskFinished({ taskId: 'A' }));
    g.merged('X', 'sx');
    expect(g.landings().map((f) => f.taskId)).toEqual(['X', 'B']);
  });

  it('over random DAGs, dispatches and lands by the longest path ahead', () => {
    const world = fc.record({
      plan: arbPlan({ minTasks: 2, maxTasks: 12 }),
      seed: fc.integer(),
      maxParallel: fc.integer({ min: 1, max: 4 }),
      landingBatch: fc.integer({ min: 1, max: 3 }),
      failRate: fc.constantFrom(0, 0.2),
      redRate: fc.constantFrom(0, 0.2),
    });
    // Landings that had a choice to make: the property is not vacuous.
    let choices = 0;
    fc.assert(
      fc.property(world, (w) => {
        const ranked = new WeakMap<Plan, { rank: number[]; tail: number[] }>();
        const of = (p: Plan) => {
          let r = ranked.get(p);
          if (!r) {
            const dag = Dag.of(p.tasks);
            const rank = dag.ranks();
            r = { rank, tail: rank.map((x, i) => x - dag.estimates[i]!) };
            ranked.set(p, r);
          }
          return r;
        };
        const settings: GoalSettings = {
          ...defaultGoalSettings,
          maxParallel: w.maxParallel,
          landingBatch: w.landingBatch,
          maxAttempts: 3,
          budget: { ...defaultGoalSettings.budget, goalUsd: 1e6 },
        };
        simulate({
          plan: w.plan,
          settings,
          taskMs: (id, a) => 1000 * (1 + Math.floor(chance(w.seed, `time${id}${a}`) * 30)),
          // CI longer than most runs: finished tasks queue up and the order matters.
          ciMs: 20_000,
          agentOutcome: (id, a) =>
            chance(w.seed, `agent${id}${a}`) < w.failRate ? 'failure' : 'success',
          ciRed: (sha) => chance(w.seed, `ci${sha}`) < w.redRate,
          recovery: () => ({ kind: 'retry', guidance: 'again' }),
          observe: (_e, { state: s }, before) => {
            if (!s.plan) return;
            const { rank, tail } = of(s.plan);
            // Dispatch: a task started in this step outranks every task left ready.
            const started = s.tasks
              .toArray()
              .flatMap((t, i) =>
                t.status === 'running' && before.tasks.at(i)?.status !== 'running' ? [i] : [],
              );
            for (const i of started)
              for (const j of s.ready) expect(rank[i]).toBeGreaterThanOrEqual(rank[j]!);
            // Landing: a new candidate (not a red batch landing alone, nor one rebuilt after a
            // red candidate) takes the longest tails.
            const L = s.queue.at(-1);
            if (!L || before.queue.some((c) => c.n === L.n)) return;
            const relanding = L.members.some(
              (m) =>
                before.queue.some((c) => c.members.some((b) => b.task === m.task)) ||
                before.landQueue.some((q) => q.task === m.task && (q.solo || q.pinned)),
            );
            if (relanding) return;
            const keys = L.members.map((m) => tail[m.task]!);
            for (let k = 1; k < keys.length; k++)
              expect(keys[k - 1]).toBeGreaterThanOrEqual(keys[k]!);
            for (const q of s.landQueue)
              if (!q.solo && !q.pinned) expect(keys.at(-1)).toBeGreaterThanOrEqual(tail[q.task]!);
            if (keys.length + s.landQueue.length > 1) choices++;
          },
        });
      }),
      { numRuns: 200 },
    );
    expect(choices).toBeGreaterThan(50);
  });
});
