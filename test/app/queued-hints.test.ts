import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Hint } from '../../src/app/hints.js';
import { QUEUED, reconcileQueued, toSchedule } from '../../src/app/queued-hints.js';
import { GantryStore } from '../../src/app/store/store.js';
import { appHarness } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

let store: GantryStore;
beforeAll(async () => {
  store = await GantryStore.open({});
}, 60_000);
afterAll(async () => store.close());
beforeEach(async () => {
  await store.db.exec(
    'TRUNCATE goal_hints, goal_states, breakers, breaker_outcomes, goal_events, ledger',
  );
});

const GOAL = 'octo/app#3';
const command: Hint = {
  kind: 'command',
  commentId: 41,
  body: '/gantry retry T2',
  sender: { login: 'maint', bot: false },
};

/** The same delivery at two replicas: each keeps it and schedules what `toSchedule` says. */
async function deliverToBoth(id: string, hint: Hint) {
  const a = toSchedule(await store.queueHint(id, GOAL, hint), hint);
  const b = toSchedule(await store.queueHint(id, GOAL, hint), hint);
  return [a, b];
}

describe("a delivery's hint kept in the store until a reconcile applies it", () => {
  it('reaches the reconcile of the replica that lives when the one that kept it first dies before its reconcile', async () => {
    const [a, b] = await deliverToBoth('d-1', command);
    // Neither job carries the hint itself, only the mark that the store keeps one.
    expect([a, b]).toEqual([QUEUED, QUEUED]);
    // Replica A dies here. Replica B's job runs:
    const seen: Hint[][] = [];
    await reconcileQueued(store, GOAL, [b!], (hints) => Promise.resolve(void seen.push(hints)));
    expect(seen).toEqual([[command]]);
    // A manual redelivery afterwards changes nothing.
    expect(await store.queueHint('d-1', GOAL, command)).toBe('applied');
    expect(toSchedule('applied', command)).toBeUndefined();
  });

  it('is applied once when both replicas live: the second finds nothing left and does not reconcile', async () => {
    const [a, b] = await deliverToBoth('d-2', command);
    const calls: Hint[][] = [];
    const reconcile = (hints: Hint[]) => Promise.resolve(void calls.push(hints));
    await reconcileQueued(store, GOAL, [a!], reconcile);
    await reconcileQueued(store, GOAL, [b!], reconcile);
    expect(calls).toEqual([[command]]);
    // A sweep's own poke still reconciles, with nothing kept.
    await reconcileQueued(store, GOAL, [{ kind: 'poke' }], reconcile);
    expect(calls).toEqual([[command], [{ kind: 'poke' }]]);
  });

  it('stays for the retry after a transient failure, and is forgotten after any other (a redelivery then applies it)', async () => {
    await store.queueHint('d-3', GOAL, command);
    const busy = Object.assign(new Error('Server Error'), { status: 502 });
    await expect(reconcileQueued(store, GOAL, [QUEUED], () => Promise.reject(busy))).rejects.toBe(
      busy,
    );
    expect((await store.pendingHints(GOAL)).map((p) => p.hint)).toEqual([command]);

    const broken = new Error('a bug');
    await expect(reconcileQueued(store, GOAL, [QUEUED], () => Promise.reject(broken))).rejects.toBe(
      broken,
    );
    expect(await store.pendingHints(GOAL)).toEqual([]);
    expect(await store.queueHint('d-3', GOAL, command)).toBe('new');
  });

  it("keeps the order hints arrived in, with the job's own (not kept) hints after them", async () => {
    const edit: Hint = {
      kind: 'comment-edited',
      commentId: 9,
      from: 'a',
      to: 'b',
      sender: { login: 'maint', bot: false },
    };
    await store.queueHint('d-4', GOAL, edit);
    await store.queueHint('d-5', GOAL, command);
    await store.queueHint('d-6', 'octo/app#4', { kind: 'poke' });
    const own: Hint = { kind: 'labeled', label: 'gantry' };
    const seen: Hint[][] = [];
    await reconcileQueued(store, GOAL, [QUEUED, own, QUEUED], (h) =>
      Promise.resolve(void seen.push(h)),
    );
    expect(seen).toEqual([[edit, command, own]]);
    expect(await store.pendingHints('octo/app#4')).toHaveLength(1);
  });
});

describe('the App applying hints another replica kept', () => {
  const withStore = appHarness({ store: () => store });

  it("finishes a task whose run's completion is reconciled together with its earlier 'in progress' (kept by a replica that died)", async () => {
    const h = await withStore();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    const run = h.github.runs[0]!;
    const goal = 'Codertocat/Hello-World#1';
    // Another replica took the run's in_progress webhook and died before it reconciled.
    await store.queueHint('delivery-in-progress', goal, {
      kind: 'run',
      runId: run.id,
      distinctId: run.inputs.distinct_id!,
      status: 'in_progress',
      conclusion: null,
    });
    await h.deliver('workflow_run', h.github.finishRun(run.id, taskResult('T1', 1)));
    // One reconcile saw both hints of the run: the completed one counts, not the first.
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'done', runId: run.id });
    expect(await store.pendingHints(goal)).toEqual([]);
  });
});
