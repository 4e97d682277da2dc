import { describe, expect, it } from 'vitest';
import { appHarness, startedGoal } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

const start = appHarness();

/** A planned goal, all approved and started by the maintainer. */
const started = startedGoal(start);

/** A minute later, `task`'s first run ends with success, having changed `file`. */
async function finishTask(h: Awaited<ReturnType<typeof started>>, task: string, file: string) {
  const run = h.github.runs.find((r) => r.inputs.task_id === task)!;
  h.clock.now += 60_000;
  const result = taskResult(task, 1, { filesChanged: [file] });
  await h.deliver('workflow_run', h.github.finishRun(run.id, result));
}

describe("a candidate's ref", () => {
  it('left by an earlier goal of the issue starts again at the tip: its work never reaches the goal branch', async () => {
    let stale = '';
    const h = await started((x) => {
      const code = x.github.code;
      // An earlier goal's candidate whose deletion failed: it holds that goal's work.
      stale = code.pushTaskBranch('gantry/old', code.defaultBranch.sha, ['old.ts'], 'OLD');
      code.refs.set(`gantry/${x.github.issue().number}/queue/1`, stale);
    });
    const run = h.github.runs.find((r) => r.inputs.task_id === 'T1')!;
    h.clock.now += 5 * 60_000;
    const result = taskResult('T1', 1, { filesChanged: ['src/greet.ts'] });
    await h.deliver('workflow_run', h.github.finishRun(run.id, result));
    const s = h.state();
    expect(s.tasks.at(0)!.status).toBe('done');
    const head = h.github.code.sha(s.branch)!;
    expect(h.github.code.tasksIn(head)).toEqual(['T1']);
    expect(h.github.code.ancestors(head).has(stale)).toBe(false);
  });

  it("judges a candidate by its own ref's CI, not by the run the next candidate's ref starts on its sha", async () => {
    const h = await started();
    const finish = (task: string, file: string) => finishTask(h, task, file);
    await finish('T1', 'src/greet.ts');
    expect(h.state().tasks.at(0)!.status).toBe('done');
    // From now on a new ref's push starts CI that does not finish: the next candidate's ref,
    // made at the one before it, must not hold that one's verdict. T2's candidate stays in CI
    // until the test ends it, so T3's is stacked on it meanwhile.
    const code = h.github.code;
    code.baseCi = 'running';
    code.ci = (_sha, tasks) =>
      tasks.includes('T2') && !tasks.includes('T3') ? 'running' : 'success';
    await finish('T2', 'test/greet.test.ts');
    await finish('T3', 'README.md');
    const [c2, c3] = h.state().queue;
    expect(c3?.on).toBe(c2?.sha);
    const issue = h.github.issue().number;
    code.finishCi(c2!.sha!, 'success', `gantry/${issue}/queue/${c2!.n}`);
    await h.sweep();
    const statuses = h.state().tasks.map((t) => t.status);
    expect(statuses.slice(1, 3)).toEqual(['done', 'done']);
  });

  describe('that landed or were dropped', () => {
    /** T1 lands alone; T2 and T3 are stacked while T2's CI runs, then land together. */
    async function twoStacked(
      before?: (h: Awaited<ReturnType<typeof started>>, refs: string[]) => void,
    ) {
      const h = await started();
      const finish = (task: string, file: string) => finishTask(h, task, file);
      await finish('T1', 'src/greet.ts');
      const code = h.github.code;
      code.ci = (_sha, tasks) =>
        tasks.includes('T2') && !tasks.includes('T3') ? 'running' : 'success';
      await finish('T2', 'test/greet.test.ts');
      await finish('T3', 'README.md');
      const [c2] = h.state().queue;
      const issue = h.github.issue().number;
      const refs = [2, 3].map((n) => `gantry/${issue}/queue/${n}`);
      before?.(h, refs);
      h.github.log.length = 0;
      code.finishCi(c2!.sha!, 'success', refs[0]);
      await h.sweep();
      const statuses = h.state().tasks.map((t) => t.status);
      expect(statuses.slice(0, 3)).toEqual(['done', 'done', 'done']);
      return { h, refs };
    }

    /** The one request moving the goal branch from `from` to its head and deleting `refs`. */
    const batch = (h: Awaited<ReturnType<typeof started>>, from: string, refs: string[]) => [
      { branch: h.state().branch, sha: h.state().lastGreen, from },
      ...refs.map((branch) => ({ branch, sha: null })),
    ];

    it('go with the goal branch, in one request (GraphQL updateRefs) that moves it and deletes them', async () => {
      let from = '';
      const { h, refs } = await twoStacked((x) => (from = x.github.code.sha(x.state().branch)!));
      expect(h.github.argsOf('updateBranches')).toEqual([[batch(h, from, refs)]]);
      expect(h.github.writes().filter((c) => /^(update|delete)Branch/.test(c))).toEqual([
        'updateBranches',
      ]);
      expect(h.github.code.sha(h.state().branch)).toBe(h.state().lastGreen);
      for (const ref of refs) expect(h.github.code.refs.has(ref)).toBe(false);
      expect(h.state().refsDeleted).toBe(3);
    });

    it('stay owed with the advance when the one request is over the rate limit, and go when it is asked again', async () => {
      let from = '';
      const { h, refs } = await twoStacked((x) => {
        from = x.github.code.sha(x.state().branch)!;
        x.github.failNext('updateBranches', 429);
      });
      // Not given up, nor moved alone (which the limit would refuse too): asked again.
      expect(h.github.argsOf('updateBranches')).toEqual([
        [batch(h, from, refs)],
        [batch(h, from, refs)],
      ]);
      expect(h.github.writes().filter((c) => /^(update|delete)Branch/.test(c))).toEqual([
        'updateBranches',
        'updateBranches',
      ]);
      for (const ref of refs) expect(h.github.code.refs.has(ref)).toBe(false);
    });

    it('are deleted after the goal branch moved alone when GitHub refuses the one request (a ref already gone)', async () => {
      const { h, refs } = await twoStacked((x, refs) => x.github.code.refs.delete(refs[0]!));
      expect(h.github.writes().filter((c) => /^(update|delete)Branch/.test(c))).toEqual([
        'updateBranches',
        'updateBranch',
        'deleteBranches',
        'deleteBranch',
        'deleteBranch',
      ]);
      expect(h.github.code.sha(h.state().branch)).toBe(h.state().lastGreen);
      expect(h.github.argsOf('deleteBranch')).toEqual(refs.map((r) => [r]));
      expect(h.github.code.refs.has(refs[1]!)).toBe(false);
      expect(h.state().refsDeleted).toBe(3);
    });

    it('stay when someone pushed to the goal branch: the one request is refused, and the goal pauses as it would without them', async () => {
      const h = await started();
      await finishTask(h, 'T1', 'src/greet.ts');
      const { branch } = h.state();
      const code = h.github.code;
      const theirs = code.pushTaskBranch(branch, code.sha(branch)!, ['NOTES.md'], 'hand');
      h.github.log.length = 0;
      await finishTask(h, 'T2', 'test/greet.test.ts');
      expect(h.github.writes().filter((c) => /^(update|delete)Branch/.test(c))).toEqual([
        'updateBranches',
        'updateBranch',
      ]);
      expect(code.sha(branch)).toBe(theirs);
      expect(h.state()).toMatchObject({ status: 'paused', pausedFor: 'user' });
      const said = h.github.botComments().find((c) => c.body.includes('cannot fast-forward'));
      expect(said).toBeDefined();
      const [[updates]] = h.github.argsOf('updateBranches') as [[{ branch: string }[]]];
      for (const { branch: ref } of updates.slice(1)) expect(code.refs.has(ref)).toBe(true);
    });
  });
});
