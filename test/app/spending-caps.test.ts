import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GantryStore } from '../../src/app/store/store.js';
import { appHarness, type Harness } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

let store: GantryStore;
beforeAll(async () => {
  store = await GantryStore.open({});
}, 60_000);
afterAll(async () => store.close());
beforeEach(() =>
  store.db.exec(
    'TRUNCATE goal_hints, goal_states, breakers, breaker_outcomes, goal_events, ledger',
  ),
);

const start = appHarness({ store: () => store });
const REPO = 'Codertocat/Hello-World';
const FILES: Record<string, string[]> = {
  T1: ['src/greet.ts'],
  T2: ['test/greet.test.ts'],
  T3: ['README.md'],
  T4: ['src/index.ts'],
};

const runsOf = (h: Harness) => h.github.runs.map((r) => `${r.inputs.task_id}/${r.inputs.attempt}`);
const say = async (h: Harness, body: string) =>
  h.deliver('issue_comment', h.github.addComment(body, 'maint').payload);

async function finish(h: Harness, taskId: string) {
  const run = h.github.runs.findLast((r) => r.inputs.task_id === taskId)!;
  await h.deliver(
    'workflow_run',
    h.github.finishRun(run.id, taskResult(taskId, 1, { filesChanged: FILES[taskId] })),
  );
}

describe("the repository's daily cap, across its goals", () => {
  it('pauses a goal whose next task would pass it, names the cap, the spend and the reset, and resume checks again', async () => {
    const h = await start();
    // Each diamond task reserves $0.50 (small) and costs $0.31.
    h.github.config = 'budget:\n  dailyUsd: 1.00\n';
    await h.deliver('issues', h.github.label('gantry'));
    await say(h, '/gantry approve');
    await say(h, '/gantry start');
    expect(runsOf(h)).toEqual(['T1/1']);
    await finish(h, 'T1');
    // T2 fits beside T1's cost; T3 would not.
    expect(runsOf(h)).toEqual(['T1/1', 'T2/1']);
    const s = h.state();
    expect(s).toMatchObject({ status: 'paused', pausedFor: 'cap' });
    expect(s.tasks.at(2)).toMatchObject({ status: 'queued', attempt: 0, reservedMicros: 0 });
    expect(h.plan().body).toMatch(
      /Spending cap: the repository's daily cap of \$1\.00 is reached \(\$0\.8\d spent or held by its goals this day, UTC\), and T3 needs \$0\.50\. It resets at 2023-11-15 00:00 UTC/,
    );
    const spend = await store.spend(REPO, h.clock.now);
    expect(spend.daily).toBeLessThanOrEqual(1_000_000);

    // The same day, resume checks again and pauses again: nothing starts.
    await say(h, '/gantry resume');
    expect(h.state()).toMatchObject({ status: 'paused', pausedFor: 'cap' });
    expect(runsOf(h)).toEqual(['T1/1', 'T2/1']);

    // The next day (UTC) the cap has room again.
    h.clock.now += 24 * 3600_000;
    await say(h, '/gantry resume');
    expect(h.state().status).toBe('running');
    expect(runsOf(h)).toEqual(['T1/1', 'T2/1', 'T3/1']);
    expect((await store.spend(REPO, h.clock.now)).daily).toBeLessThanOrEqual(1_000_000);
  });
});
