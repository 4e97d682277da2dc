import { describe, expect, it } from 'vitest';
import { appHarness, startedGoal, type Harness } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

const start = appHarness();

/** A planned goal, all approved and started by the maintainer. */
const started = startedGoal(start);

/** T1's run finishes as the Action would: it changed `src/greet.ts`. */
async function finishT1(h: Harness): Promise<void> {
  const run = h.github.runs.find((r) => r.inputs.task_id === 'T1')!;
  h.clock.now += 5 * 60_000;
  const result = taskResult('T1', 1, { filesChanged: ['src/greet.ts'] });
  await h.deliver('workflow_run', h.github.finishRun(run.id, result));
}

/** Comment `body` as `sender`; the comment. */
async function command(h: Harness, body: string, sender: string) {
  const { payload, comment } = h.github.addComment(body, sender);
  await h.deliver('issue_comment', payload);
  return comment;
}
const thumbsUp = (h: Harness, id: number) =>
  h.github.reactions.some((r) => r.commentId === id && r.content === '+1');
const merges = (h: Harness) => h.github.calls.filter((c) => c === 'merge');
const queued = (h: Harness) =>
  h.github.runs.filter((r) => r.status !== 'completed').map((r) => r.inputs.task_id);
const comments = (h: Harness) => h.github.botComments().map((c) => c.body);
const redBaseComments = (h: Harness) =>
  comments(h).filter((b) =>
    b.startsWith('**Gantry paused this goal: the default branch is red.**'),
  );

describe('the base: CI on the default branch head the goal starts from', () => {
  it('green: read once, and the first task lands as before', async () => {
    const h = await started();
    const base = h.github.code.defaultBranch.sha;
    // The goal branch's push ran CI on the base, and the start read its verdict.
    expect(h.github.argsOf('ciReport')).toContainEqual([base]);
    expect(h.state().baseVerdict).toMatchObject({ sha: base, verdict: 'green' });
    await finishT1(h);
    expect(merges(h)).toHaveLength(1);
    expect(h.state().tasks.at(0)!.status).toBe('done');
    expect(queued(h)).toEqual(['T2', 'T3']);
    // Never read again for later tasks.
    const reads = h.github.argsOf('ciReport').filter(([sha]) => sha === base).length;
    for (const id of ['T2', 'T3']) {
      const run = h.github.runs.find((r) => r.inputs.task_id === id)!;
      await h.deliver('workflow_run', h.github.finishRun(run.id, taskResult(id, 1)));
    }
    await h.sweep();
    expect(h.github.argsOf('ciReport').filter(([sha]) => sha === base)).toHaveLength(reads);
  });

  it("ignores the task workflow's own suites on the base: tasks are dispatched on the default branch's head", async () => {
    const h = await started((x) => {
      x.github.code.baseCi = 'running';
    });
    const base = h.github.code.defaultBranch.sha;
    h.github.code.rerunCi(base, 'success');
    // T1's job failed on the base's sha (a task run is the default branch's).
    h.github.code.suites.push({
      id: 9001,
      sha: base,
      branch: 'master',
      app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      workflow: '.github/workflows/gantry-task.yml',
      status: 'completed',
      conclusion: 'failure',
      runs: [{ id: 9002, name: 'agent', conclusion: 'failure', annotations: [], log: '' }],
    });
    await h.sweep();
    await finishT1(h);
    expect(h.state().baseVerdict).toMatchObject({ sha: base, verdict: 'green' });
    expect(merges(h)).toHaveLength(1);
  });

  it('red: the goal pauses with a comment, nothing lands and no task is blamed; resume after a green re-run lands', async () => {
    const h = await started((x) => (x.github.code.baseCi = 'failure'));
    const base = h.github.code.defaultBranch.sha;
    expect(h.state()).toMatchObject({ status: 'paused', pausedFor: 'base' });
    expect(h.state().baseVerdict).toMatchObject({
      sha: base,
      verdict: 'red',
      failedChecks: ['test'],
    });
    const [said, ...more] = redBaseComments(h);
    expect(more).toEqual([]);
    expect(said).toBe(
      [
        `**Gantry paused this goal: the default branch is red.** CI failed on ${base.slice(0, 7)}, the head of \`master\` this goal started from, before anything of the goal landed:`,
        '',
        '- test',
        '',
        'No task is blamed for it: nothing lands on a red base, and no new task starts. Tasks already running finish and wait to land.',
        '',
        'To go on, make `master` green (push a fix, or re-run its failed checks), then comment `/gantry resume`: Gantry checks the base again, from the new head of `master` if it moved.',
        '',
        'If this goal is what makes `master` green, comment `/gantry resume known-red`: the goal goes on on this base, and the checks above judge no landing until one passes them (from then on they judge every landing). Every other check judges every landing as usual, and the pull request says which checks are still red.',
      ].join('\n'),
    );
    expect(h.plan().body).toContain('⏸️ paused (the default branch is red)');
    expect(h.plan().body).toContain('The default branch is red');

    // T1 was already going at Start: it finishes and waits, unlanded and unblamed.
    await finishT1(h);
    expect(merges(h)).toEqual([]);
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'landing', attempt: 1 });
    expect(h.state().failures ?? []).toEqual([]);
    expect(h.asked.recover).toEqual([]);
    expect(queued(h)).toEqual([]);

    // Resumed while still red: checked again, paused again (no second comment).
    await h.deliver('issue_comment', h.github.addComment('/gantry resume', 'maint').payload);
    expect(h.state()).toMatchObject({ status: 'paused', pausedFor: 'base' });
    expect(merges(h)).toEqual([]);
    expect(redBaseComments(h)).toHaveLength(1);

    // The failed checks are re-run and pass: resume checks again and lands.
    h.github.code.rerunCi(base, 'success');
    await h.deliver('issue_comment', h.github.addComment('/gantry resume', 'maint').payload);
    expect(h.state().status).toBe('running');
    expect(h.state().baseVerdict).toMatchObject({ sha: base, verdict: 'green' });
    expect(merges(h)).toHaveLength(1);
    expect(h.state().tasks.at(0)!.status).toBe('done');
    expect(queued(h)).toEqual(['T2', 'T3']);
  });

  it('red, and the goal is what fixes it: `/gantry resume known-red` lands on it, and says so', async () => {
    const h = await started((x) => {
      x.github.code.baseCi = 'failure';
      x.github.code.ci = () => 'failure'; // `test` stays red: no task of this goal fixes it
    });
    await finishT1(h);
    const early = await command(h, '/gantry resume known-red', 'maint');
    expect(h.state().baseVerdict?.verdict).toBe('known-red');
    expect(thumbsUp(h, early.id)).toBe(true);
    // T1 landed though CI is red on it: only `test` failed, and it was red on the base.
    expect(merges(h)).toHaveLength(1);
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'done' });
    expect(h.state().failures ?? []).toEqual([]);
    expect(h.plan().body).toContain(
      'a maintainer chose to go on (`/gantry resume known-red`). Still red, so not judging landings: `test`.',
    );
    // Known-red means nothing on a goal that is not paused for its base.
    await command(h, '/gantry resume known-red', 'maint');
    expect(comments(h).at(-1)).toContain(
      'Nothing changed: `known-red` is for a goal paused because its default branch is red, and this one is running',
    );
  });

  it('red, then fixed on the default branch: resume starts the goal from the new head', async () => {
    const h = await started((x) => (x.github.code.baseCi = 'failure'));
    const old = h.github.code.defaultBranch.sha;
    await finishT1(h);
    h.github.code.baseCi = 'success';
    const fixed = h.github.code.pushDefault(['src/fix.ts']);
    await h.deliver('issue_comment', h.github.addComment('/gantry resume', 'maint').payload);
    const s = h.state();
    expect(s.baseVerdict).toMatchObject({ sha: fixed, verdict: 'green' });
    expect(s.status).toBe('running');
    // The goal branch moved to the fix, and T1 (made on the old base) landed on it.
    expect(merges(h)).toHaveLength(1);
    expect(s.tasks.at(0)!.status).toBe('done');
    const head = h.github.refs.get(s.branch)!;
    expect(h.github.code.ancestors(head).has(fixed)).toBe(true);
    expect(h.github.code.ancestors(head).has(old)).toBe(true);
    // Later tasks start from what landed on the new base.
    expect(
      h.github.runs.filter((r) => r.inputs.task_id === 'T2').map((r) => r.inputs.base_sha),
    ).toEqual([head]);
  });

  it('no CI at all: lands as before once CI’s time limit passed on the base', async () => {
    const h = await started((x) => {
      x.github.config = 'ci: { policy: optional, timeoutMinutes: 20 }\n';
      x.github.code.baseCi = 'none';
      x.github.code.ci = () => 'none';
    });
    expect(h.state().baseVerdict?.verdict).toBe('pending');
    await finishT1(h);
    expect(merges(h)).toEqual([]); // the base has time left
    h.clock.now += 16 * 60_000; // 21 minutes after Start
    await h.sweep();
    expect(h.state().baseVerdict?.verdict).toBe('none');
    expect(h.state().status).toBe('running');
    expect(merges(h)).toHaveLength(1);
    expect(redBaseComments(h)).toEqual([]);
    // The landing's own CI then follows ci.policy, as it always did.
    h.clock.now += 21 * 60_000;
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('done');
    expect(queued(h)).toEqual(['T2', 'T3']);
  });
});
