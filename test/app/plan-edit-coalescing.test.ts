import { describe, expect, it } from 'vitest';
import { initGoal, type GoalState } from '../../src/core/goal.js';
import { step } from '../../src/core/step.js';
import { GoalSession } from '../../src/app/goal-session.js';
import type { GoalFacts } from '../../src/app/goal-facts.js';
import type { GitHubPort } from '../../src/app/github/github-port.js';
import { StateMemory } from '../../src/app/state-memory.js';
import { diamond } from '../support/plans.js';

const KEY = 'k'.repeat(32);
const ref = { owner: 'o', repo: 'r', issue: 1, defaultBranch: 'main' };

/** GitHub as far as a session's flush goes: comments and labels, every write counted. */
function fakeGitHub() {
  const bodies = new Map<number, string>();
  const writes: string[] = [];
  const github = {
    createComment: (_issue: number, body: string) => {
      const id = bodies.size + 1;
      bodies.set(id, body);
      writes.push(`post ${id}`);
      return Promise.resolve({ id, htmlUrl: `https://x/${id}` });
    },
    updateComment: (id: number, body: string) => {
      bodies.set(id, body);
      writes.push(`edit ${id}`);
      return Promise.resolve();
    },
    addLabels: () => Promise.resolve(),
    removeLabel: () => Promise.resolve(),
    approveComment: () => Promise.resolve(),
  } as unknown as GitHubPort;
  return { github, bodies, writes };
}

/** A planned goal, awaiting approval: a status whose progress events change only the state. */
function planned(): GoalState {
  let s = initGoal({ repo: 'o/r', issue: 1, title: 'Goal', at: 0 });
  s = step(s, { type: 'plan.proposed', at: 1, plan: diamond(), version: 1 }).state;
  return s;
}

describe('plan-comment edits', () => {
  it('are coalesced: a burst within the interval makes one edit, and the sweep writes what waited', async () => {
    const gh = fakeGitHub();
    const memory = new StateMemory();
    let now = 1_000;
    const session = (sweep = false) => {
      const comments = [...gh.bodies].map(([id, body]) => ({ id, body, htmlUrl: '', byBot: true }));
      const facts: GoalFacts = {
        issue: { open: true, title: 'Goal', body: '', labels: [], htmlUrl: '' },
        comments,
      };
      return new GoalSession({
        github: gh.github,
        ref,
        facts,
        stateKey: KEY,
        memory,
        editEveryMs: 10_000,
        now: () => now,
        sweep,
      });
    };
    const first = session();
    first.begin(planned());
    await first.flush();
    expect(gh.writes).toEqual(['post 1']);
    // Three reconciles within ten seconds, each ticking a task: one edit would be three before.
    let revision = 0;
    for (const taskId of ['T1', 'T2', 'T3']) {
      now += 1_000;
      const s = session();
      s.apply({
        type: 'approvals.changed',
        planVersion: 1,
        at: now,
        actor: 'maint',
        changes: [{ taskId, approved: true }],
      });
      await s.flush();
      revision = s.state!.revision;
    }
    expect(gh.writes).toEqual(['post 1']);
    // Nothing is lost meanwhile: the next session trusts the newest state, from memory.
    const next = session();
    expect(next.state?.revision).toBe(revision);
    expect(next.liveEdited).toBe(false);
    // The sweep writes what waited, whatever the clock says.
    const sweep = session(true);
    await sweep.flush();
    expect(gh.writes).toEqual(['post 1', 'edit 1']);
    expect(gh.bodies.get(1)).toBe(sweep.rendered());
    expect(sweep.state?.revision).toBe(revision);
  });

  it('are written at once when the goal changes shape (a status), or a person edited the comment', async () => {
    const gh = fakeGitHub();
    const memory = new StateMemory();
    let now = 1_000;
    const session = () =>
      new GoalSession({
        github: gh.github,
        ref,
        facts: {
          issue: { open: true, title: 'Goal', body: '', labels: [], htmlUrl: '' },
          comments: [...gh.bodies].map(([id, body]) => ({ id, body, htmlUrl: '', byBot: true })),
        },
        stateKey: KEY,
        memory,
        editEveryMs: 10_000,
        now: () => now,
      });
    const first = session();
    first.begin(planned());
    await first.flush();
    now += 1_000;
    const cancel = session();
    cancel.apply({ type: 'cancel', at: now, reason: 'Cancelled.' });
    await cancel.flush();
    expect(gh.writes).toEqual(['post 1', 'edit 1']);
    expect(gh.bodies.get(1)).toBe(cancel.rendered());
    // A person's edit (a changed body) is answered at once, interval or not.
    gh.bodies.set(1, `${gh.bodies.get(1)!}\nedited`);
    now += 1_000;
    const after = session();
    await after.flush();
    expect(gh.writes).toEqual(['post 1', 'edit 1', 'edit 1']);
  });
});
