import { describe, expect, it } from 'vitest';
import { reviveState, type GoalStateJson } from '../../src/core/revive-state.js';
import { owedEffects } from '../../src/core/owed-effects.js';
import { simulate } from '../../src/sim/simulate.js';
import { plan, task } from '../support/plans.js';

/** A state as a version with serialized landing wrote it: T1 merged on the goal branch, in CI. */
function serialState(): GoalStateJson {
  const r = simulate({
    plan: plan([task('T1'), task('T2')]),
    taskMs: () => 1000,
    ciMs: 500,
    maxEvents: 12,
  });
  const json = JSON.parse(JSON.stringify(r.state)) as GoalStateJson & Record<string, unknown>;
  const t1 = json.tasks[0]!;
  const { queue: _queue, candidates: _candidates, ...old } = json;
  return {
    ...old,
    tasks: [{ ...t1, status: 'validating', landedSha: 'm1' }, json.tasks[1]!],
    counts: { ...json.counts, [t1.status]: json.counts[t1.status] - 1, validating: 1 },
    landQueue: [],
    goalHead: 'm1',
    lastGreen: 'base',
    branchCreated: true,
    landing: {
      members: [{ task: 0, attempt: t1.attempt, n: 1, sha: 'm1' }],
      next: 1,
      validating: 'm1',
    },
  } as unknown as GoalStateJson;
}

describe('a state written when landing was serialized', () => {
  it('takes the unjudged merge off the goal branch (the one forced reset left) and lands it again as a candidate', () => {
    const s = reviveState(serialState());
    expect(s.queue).toEqual([]);
    expect('landing' in s).toBe(false);
    expect(s.tasks.at(0)).toMatchObject({ status: 'landing', landedSha: undefined });
    expect(s.counts.validating).toBe(0);
    expect(s.landQueue).toEqual([{ task: 0, solo: false, pinned: true }]);
    expect(s.resetPending).toEqual({ toSha: 'base', fromSha: 'm1' });
    const owed = owedEffects(s, s.now).map((e) => e.type);
    expect(owed).toContain('reset-goal-ref');
    expect(owed).not.toContain('advance-goal-ref');
  });
});
