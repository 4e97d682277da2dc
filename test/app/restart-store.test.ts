import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderPlanComment } from '../../src/core/checklist/render.js';
import { GantryStore } from '../../src/app/store/store.js';
import { tick } from '../../src/standin/ticks.js';
import { appHarness, KEY, type Harness } from '../support/app-harness.js';

let store: GantryStore;
beforeAll(async () => {
  store = await GantryStore.open({});
}, 60_000);
afterAll(async () => store.close());
// Each test starts from an empty store (one GitHub in memory each, with the same issue).
beforeEach(() =>
  store.db.exec('TRUNCATE goal_hints, goal_states, breakers, breaker_outcomes, goal_events'),
);

const withStore = appHarness({ store: () => store });
const inMemory = appHarness();

const statuses = (h: Harness) => h.state().tasks.map((t) => t.status);

/**
 * A goal awaiting approval; a maintainer ticks T1 and T2. Then the App is (or is not) restarted,
 * and while no webhook reaches it an older body of the plan comment (before the ticks, copied
 * from GitHub's edit history) is pasted back. The sweep comes.
 */
async function replay(h: Harness, restart: boolean): Promise<{ pastedRevision: number }> {
  await h.deliver('issues', h.github.label('gantry'));
  const before = h.plan().body;
  const pastedRevision = h.state().revision;
  await h.deliver(
    'issue_comment',
    h.github.editComment(h.plan().id, (b) => tick(b, ['T1', 'T2']), 'maint'),
  );
  expect(statuses(h)).toEqual(['approved', 'approved', 'proposed', 'proposed']);
  if (restart) await h.restart();
  h.github.editComment(h.plan().id, () => before, 'someone'); // its webhook never arrives
  await h.sweep();
  return { pastedRevision };
}

describe('an older plan body pasted back while no webhook arrives', () => {
  it('is refused after a restart as without one: the approvals stay and the comment is the newer state', async () => {
    const h = await withStore();
    const { pastedRevision } = await replay(h, true);
    expect(statuses(h)).toEqual(['approved', 'approved', 'proposed', 'proposed']);
    expect(h.state().revision).toBeGreaterThan(pastedRevision);
    expect(h.plan().body).toBe(renderPlanComment(h.state(), { key: KEY }));
  });

  it('ends the same way on a process that never restarted', async () => {
    const h = await inMemory();
    const { pastedRevision } = await replay(h, false);
    expect(statuses(h)).toEqual(['approved', 'approved', 'proposed', 'proposed']);
    expect(h.state().revision).toBeGreaterThan(pastedRevision);
  });
});

describe('the goal timeline in the store', () => {
  it('records each step with who did it', async () => {
    const h = await withStore();
    await h.deliver('issues', h.github.label('gantry', 'maint', 1));
    await h.deliver(
      'issue_comment',
      h.github.editComment(h.plan().id, (b) => tick(b, ['T1']), 'maint'),
    );
    const events = await store.goalEvents('Codertocat/Hello-World#1');
    const mine = events.filter((e) => e.goalId === h.state().id);
    expect(mine.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['plan.proposed', 'approvals.changed']),
    );
    expect(mine.find((e) => e.kind === 'approvals.changed')?.detail).toMatchObject({
      actor: 'maint',
    });
  });
});
