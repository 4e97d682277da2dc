import { Writable } from 'node:stream';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { appHarness, type Harness } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

/** The App's log lines, as JSON objects (what an operator's log collector receives). */
let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
});
const start = appHarness({
  log: () =>
    pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    ),
});

const FILES: Record<string, string[]> = {
  T1: ['src/greet.ts'],
  T2: ['test/greet.test.ts'],
  T3: ['README.md'],
  T4: ['src/index.ts'],
};

/** Finish every queued run as the Action would, until none is left. */
async function runQueued(h: Harness) {
  for (let round = 0; round < 30; round++) {
    const open = h.github.runs.filter((r) => r.status !== 'completed');
    if (open.length === 0) return;
    for (const run of open) {
      const task = run.inputs.task_id!;
      h.clock.now += 5 * 60_000;
      const result = taskResult(task, Number(run.inputs.attempt), {
        filesChanged: FILES[task],
      });
      await h.deliver('workflow_run', h.github.finishRun(run.id, result));
    }
  }
  throw new Error('runs keep coming');
}

const steps = () => lines.filter((l) => l.step !== undefined);
const GOAL = { repository: 'Codertocat/Hello-World', issue: 1, goal: 'goal-1' };

describe("the App's log", () => {
  it('has one structured line per goal step, from plan to done, each naming the repository, the issue and the goal', async () => {
    const h = await start();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    await runQueued(h);
    expect(h.state().status).toBe('done');

    for (const line of steps()) expect(line).toMatchObject(GOAL);
    const seen = new Set(steps().map((l) => l.step));
    for (const step of [
      'planned',
      'approved',
      'started',
      'dispatched',
      'landed',
      'ci-verdict',
      'pr',
      'done',
    ])
      expect(seen, `a "${step}" line`).toContain(step);
    expect(steps()).toContainEqual(
      expect.objectContaining({
        level: 30,
        step: 'dispatched',
        msg: expect.stringMatching(
          /^goal Codertocat\/Hello-World#1 dispatched: T1 attempt 1 dispatched as run \d+$/,
        ),
      }),
    );
    expect(steps()).toContainEqual(
      expect.objectContaining({
        step: 'ci-verdict',
        subject: 'T1',
        from: 'validating',
        to: 'done',
      }),
    );
    expect(steps()).toContainEqual(
      expect.objectContaining({
        step: 'done',
        subject: 'goal',
        to: 'done',
        msg: expect.stringMatching(/^goal Codertocat\/Hello-World#1 done: goal running -> done \(/),
      }),
    );
  });

  it('warns when a task fails and when the goal needs a person', async () => {
    const h = await start();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    const run = h.github.runs[0]!;
    await h.deliver(
      'workflow_run',
      h.github.finishRun(
        run.id,
        taskResult('T1', 1, {
          filesChanged: FILES.T1,
          status: 'failure',
          reason: 'A criterion failed.',
        }),
      ),
    );
    expect(steps()).toContainEqual(
      expect.objectContaining({ ...GOAL, level: 40, subject: 'T1', to: 'failed' }),
    );
    expect(steps()).toContainEqual(
      expect.objectContaining({
        ...GOAL,
        level: 40,
        step: 'recovery',
        subject: 'T1',
        to: 'needs-human',
      }),
    );
    expect(steps().at(-1)).toMatchObject({ ...GOAL, level: 40, step: 'partial', subject: 'goal' });
  });

  it('warns on every retry after a transient GitHub failure', async () => {
    const h = await start();
    await h.deliver('issues', h.github.label('gantry'));
    h.github.failNext('permission', 502);
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    expect(h.state().tasks.at(0)!.status).toBe('approved');
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        goal: 'Codertocat/Hello-World#1',
        attempt: 1,
        msg: expect.stringMatching(/GitHub failed for now .*; retry 1 in 0 s$/),
      }),
    );
  });
});
