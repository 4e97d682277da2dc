import { describe, expect, it } from 'vitest';
import { encodeState } from '../../src/core/checklist/signed-state.js';
import { trustedState } from '../../src/core/checklist/trusted-state.js';
import { initGoal, type GoalState } from '../../src/core/goal.js';

const KEY = 'k';
const expectGoal = { repo: 'o/r', issue: 3 };
const goal = (id: string, revision: number): GoalState => ({
  ...initGoal({ repo: 'o/r', issue: 3, title: 'Goal', at: 0, id }),
  revision,
});
const body = (s: GoalState) => `The plan\n\n${encodeState(s, KEY)}`;
const sources = (over: Partial<Parameters<typeof trustedState>[0]>) => ({
  body: '',
  earlierBodies: [],
  key: KEY,
  expect: expectGoal,
  ...over,
});

describe('trustedState', () => {
  it('trusts the comment as it is when nothing else is known', () => {
    const r = trustedState(sources({ body: body(goal('a', 4)) }));
    expect(r.ok && r.state.revision).toBe(4);
  });

  it('keeps the newest state of the goal: an older one pasted back does not move it', () => {
    const r = trustedState(sources({ body: body(goal('a', 2)), remembered: goal('a', 7) }));
    expect(r.ok && r.state.revision).toBe(7);
  });

  it('takes the body before a person edit when the edit broke the state', () => {
    const tampered = body(goal('a', 5)).replace(/\.([0-9a-f]{8})/, '.00000000');
    const r = trustedState(sources({ body: tampered, earlierBodies: [body(goal('a', 5))] }));
    expect(r.ok && r.state.revision).toBe(5);
  });

  it('never trusts the state of an earlier goal on the issue, even a newer revision', () => {
    const r = trustedState(sources({ body: body(goal('old', 99)), remembered: goal('new', 3) }));
    expect(r.ok && r.state.id).toBe('new');
    const alone = trustedState(
      sources({ body: body(goal('old', 99)), earlierBodies: [body(goal('new', 1))] }),
    );
    expect(alone.ok && alone.state.id).toBe('new');
  });

  it('says why when nothing can be trusted', () => {
    const tampered = trustedState(
      sources({ body: body(goal('a', 1)).replace(/\.([0-9a-f]{8})/, '.00000000') }),
    );
    expect(tampered.ok || tampered.error.reason).toBe('tampered');
    const missing = trustedState(sources({ body: 'no state here' }));
    expect(missing.ok || missing.error.reason).toBe('missing');
    const other = { ...goal('a', 1), issue: 4 };
    const foreign = trustedState(sources({ body: body(other) }));
    expect(foreign.ok || foreign.error.reason).toBe('foreign');
  });
});
