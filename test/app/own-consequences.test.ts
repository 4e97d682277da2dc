import { describe, expect, it } from 'vitest';
import { appHarness, startedGoal, type Harness } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

const start = appHarness();

const FILES: Record<string, string[]> = {
  T1: ['src/greet.ts'],
  T2: ['test/greet.test.ts'],
  T3: ['README.md'],
  T4: ['src/index.ts'],
};

/** What a reconcile reads of what people write: the issue, its comments, the config. */
const READS = new Set(['getIssue', 'listComments', 'readConfig']);

/** A planned goal, all approved and started by the maintainer. */
const started = startedGoal(start);

/** A task's latest run finishes as the Action would; its webhook and the CI it causes are delivered. */
async function finish(h: Harness, taskId: string): Promise<void> {
  const run = h.github.runs.findLast((r) => r.inputs.task_id === taskId);
  if (!run) throw new Error(`no run of ${taskId}`);
  const result = taskResult(taskId, Number(run.inputs.attempt), { filesChanged: FILES[taskId] });
  await h.deliver('workflow_run', h.github.finishRun(run.id, result));
}

/** The port calls made since `from` (an index into the call log) that are reads of `READS`. */
const readsSince = (h: Harness, from: number) =>
  h.github.calls.slice(from).filter((c) => READS.has(c));

describe("reconciles of Gantry's own consequences", () => {
  it('trust the state Gantry wrote: from Start to done, no issue, comment or config read', async () => {
    const h = await started();
    const from = h.github.calls.length;
    for (const t of ['T1', 'T2', 'T3', 'T4']) await finish(h, t);
    expect(h.state().status).toBe('done');
    expect(h.state().tasks.map((t) => t.status)).toEqual(['done', 'done', 'done', 'done']);
    const perTask = (h.github.calls.length - from) / 4;
    console.info(`GitHub calls per landed task after Start: ${perTask}`);
    // Four runs finishing and CI judging four landings: every reconcile trusted what it held.
    expect(readsSince(h, from)).toEqual([]);
    // 13 landing into the goal branch itself (19 before reconciles trusted what they held); the
    // queue adds the candidate's ref, the fast-forward and the ref's deletion.
    expect(perTask).toBeLessThanOrEqual(16);
  });

  it("read everything again for a person's command, edit or label, and for a sweep", async () => {
    const h = await started();
    await finish(h, 'T1');
    let from = h.github.calls.length;
    await h.deliver('issue_comment', h.github.addComment('/gantry status', 'dev').payload);
    expect(readsSince(h, from).sort()).toEqual(['getIssue', 'listComments', 'readConfig']);

    from = h.github.calls.length;
    await h.sweep();
    expect(readsSince(h, from)).toContain('listComments');
    expect(readsSince(h, from)).toContain('getIssue');
  });

  it('read everything when what they held is out of date: after a restart, and after a failure', async () => {
    const h = await started();
    await h.restart();
    let from = h.github.calls.length;
    await finish(h, 'T1');
    // Nothing held after a restart: the first reconcile reads, the next ones trust it.
    expect(readsSince(h, from).filter((c) => c !== 'readConfig')).toEqual(
      expect.arrayContaining(['getIssue', 'listComments']),
    );
    from = h.github.calls.length;
    await finish(h, 'T2');
    expect(readsSince(h, from)).toEqual([]);
    // A reconcile that fails (GitHub answers 502 for now) leaves nothing held: its retry reads.
    h.github.failNext('listRunArtifacts', 502);
    from = h.github.calls.length;
    await finish(h, 'T3');
    expect(readsSince(h, from)).toEqual(expect.arrayContaining(['getIssue', 'listComments']));
    expect(h.state().tasks.map((t) => t.status)).toEqual(['done', 'done', 'done', 'running']);
  });
});

describe('the config', () => {
  it('is kept, and read again after a push of `.github/gantry.yml` to the default branch', async () => {
    const h = await started();
    let from = h.github.calls.length;
    await finish(h, 'T1');
    expect(h.github.calls.slice(from)).not.toContain('readConfig');

    // The path policy becomes invalid: a consequence reconcile must see it at once.
    await h.deliver('push', h.github.pushConfig('blockedPaths: 3\n'));
    from = h.github.calls.length;
    await finish(h, 'T2');
    expect(h.github.calls.slice(from).filter((c) => c === 'readConfig')).toHaveLength(1);
    expect(h.state().tasks.at(1)!.status).toBe('landing');
  });

  it('is read again once it is older than its time limit (a push can be lost)', async () => {
    const h = await started();
    await finish(h, 'T1');
    h.clock.now += 11 * 60_000;
    const from = h.github.calls.length;
    await finish(h, 'T2');
    expect(h.github.calls.slice(from).filter((c) => c === 'readConfig')).toHaveLength(1);
  });

  it('is not read again for a push to another branch or of other files', async () => {
    const h = await started((x) => (x.github.config = 'maxParallel: 2\n'));
    await finish(h, 'T1');
    const other = h.github.pushConfig(h.github.config);
    (other.commits as { modified: string[] }[])[0]!.modified = ['README.md'];
    const branch = h.github.pushConfig(h.github.config);
    branch.ref = 'refs/heads/feature';
    await h.deliver('push', other);
    await h.deliver('push', branch);
    const from = h.github.calls.length;
    await finish(h, 'T2');
    expect(h.github.calls.slice(from)).not.toContain('readConfig');
  });
});
