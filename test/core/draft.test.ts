import { describe, expect, it } from 'vitest';
import type { GoalEvent } from '../../src/core/events.js';
import { defaultGoalSettings, type GoalSettings } from '../../src/core/goal.js';
import type { Plan } from '../../src/core/plan.js';
import { simulate } from '../../src/sim/simulate.js';
import { plan, task } from '../support/plans.js';

/** The largest plan task ids allow (T1 to T9999). */
const N = 9_999;

/** A wide goal: each task depends on the one at half its number, so thousands are ready at once. */
function widePlan(n: number): Plan {
  return plan(
    Array.from({ length: n }, (_, k) =>
      task(`T${k + 1}`, k === 0 ? [] : [`T${Math.floor((k + 1) / 2)}`]),
    ),
  );
}

/** Freeze a value and everything it reaches: any later write to it throws (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Events that move one run or one landing forward, as opposed to starting or stopping the goal. */
const RUNTIME = new Set<GoalEvent['type']>([
  'task.dispatched',
  'task.finished',
  'landing.result',
  'ci.verdict',
  'recovery.proposed',
  'goal-ref.advanced',
  'candidate-refs.deleted',
]);

describe('a step copies only what it touches', () => {
  it('keeps untouched tasks shared and earlier states unchanged on a 9,999-task goal', () => {
    const settings: GoalSettings = {
      ...defaultGoalSettings,
      maxParallel: 8,
      landingBatch: 4,
      budget: { ...defaultGoalSettings.budget, goalUsd: 1e9 },
    };
    let worst = 0;
    let runtimeSteps = 0;
    let dispatched = 0;
    let dispatchedShared = 0;
    let frozen = 0;
    const r = simulate({
      plan: widePlan(N),
      settings,
      taskMs: (id) => (1 + (Number(id.slice(1)) % 7)) * 60_000,
      ciMs: 5 * 60_000,
      // Some first attempts fail, conflict or turn CI red, so recovery and re-landing run too.
      agentOutcome: (id, a) => (a === 1 && Number(id.slice(1)) % 7 === 0 ? 'failure' : 'success'),
      conflict: (id, a) => a === 1 && Number(id.slice(1)) % 13 === 0,
      ciRed: (sha) => Number(sha.slice(3)) % 11 === 0,
      maxEvents: 5_000,
      observe: (e, result, before) => {
        if (result.ignored !== undefined) return;
        const a = before.tasks;
        const b = result.state.tasks;
        let changed = 0;
        for (let i = 0; i < a.length; i++) if (a.at(i) !== b.at(i)) changed++;
        if (RUNTIME.has(e.type)) {
          runtimeSteps++;
          worst = Math.max(worst, changed);
        }
        if (e.type === 'task.dispatched') {
          dispatched++;
          // Recording a run id touches one task: no index is copied.
          if (
            changed === 1 &&
            result.state.unmet === before.unmet &&
            result.state.ready === before.ready
          )
            dispatchedShared++;
        }
        // The next step starts from this state: if it wrote to it, the write would throw.
        if (runtimeSteps % 97 === 1) {
          deepFreeze(result.state);
          frozen++;
        }
      },
    });

    expect(r.state.status).toBe('running');
    expect(r.state.tasks).toHaveLength(N);
    expect(runtimeSteps).toBeGreaterThan(3_500);
    expect(frozen).toBeGreaterThan(40);
    expect(dispatched).toBeGreaterThan(1_000);
    expect(dispatchedShared).toBe(dispatched);
    // One step settles at most the queue's candidates (a verdict that lands the ones held behind
    // a slower one), or one run, and dispatches at most maxParallel.
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(
      settings.landingBatch * (settings.queueDepth ?? 1) + settings.maxParallel,
    );
  });

  it('a frozen state refuses writes, so the check above can fail', () => {
    const s = deepFreeze({ tasks: [{ status: 'queued' }] });
    expect(() => {
      (s.tasks as { status: string }[])[0] = { status: 'running' };
    }).toThrow(TypeError);
  });
});
