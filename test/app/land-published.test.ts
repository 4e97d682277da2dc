import { describe, expect, it } from 'vitest';
import { appHarness, type Harness } from '../support/app-harness.js';
import type { PublishAs } from '../support/memory-github.js';
import { taskResult } from '../support/task-result.js';

const start = appHarness();

/** A planned diamond goal (T1 -> T2, T3 -> T4), all approved and started by the maintainer. */
async function started(config?: string): Promise<Harness> {
  const h = await start();
  if (config !== undefined) h.github.config = config;
  await h.deliver('issues', h.github.label('gantry'));
  await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
  await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
  return h;
}

interface Finish {
  result?: Record<string, unknown>;
  publish?: PublishAs;
  agentLog?: string;
  /** Something happens between the run's end and its webhook (a push to the task branch). */
  before?: () => void;
  /** The publish job's `workflow_job.completed` webhook comes first, with this conclusion. */
  publishJob?: string;
}

/** A task's run ends as the task workflow ends it; its webhook is delivered. */
async function finish(h: Harness, taskId: string, attempt = 1, o: Finish = {}) {
  const run = h.github.runs.findLast(
    (r) => r.inputs.task_id === taskId && r.inputs.attempt === String(attempt),
  );
  if (!run) throw new Error(`no run of ${taskId} attempt ${attempt}`);
  const result = taskResult(taskId, attempt, {
    filesChanged: [`src/${taskId.toLowerCase()}.ts`],
    ...o.result,
  });
  const payload = h.github.finishRun(run.id, result, 'success', {
    publish: o.publish,
    agentLog: o.agentLog,
  });
  o.before?.();
  if (o.publishJob !== undefined)
    await h.deliver('workflow_job', h.github.jobPayload(run.id, 'publish', o.publishJob));
  await h.deliver('workflow_run', payload);
}

const merges = (h: Harness) => h.github.argsOf('merge') as [{ head: string }][];
const goalHead = (h: Harness) => h.github.refs.get(h.state().branch)!;
const task = (h: Harness, id: string) =>
  h.state().tasks.at(h.state().plan!.tasks.findIndex((t) => t.id === id))!;
const replies = (h: Harness, text: string) =>
  h.github.botComments().filter((c) => c.body.includes(text));

describe('the App lands exactly the commit the publish job recorded', () => {
  it('merges the recorded sha, not what the task branch was moved to after the policy ran', async () => {
    const h = await started();
    const code = h.github.code;
    let published = '';
    await finish(h, 'T1', 1, {
      before: () => {
        published = h.github.refs.get('gantry/1/T1/1')!;
        // Someone who can push to gantry/* swaps the content before the App lands it.
        code.pushTaskBranch('gantry/1/T1/1', published, ['.github/actions/ci/action.yml'], 'X');
      },
    });
    expect(merges(h).map(([m]) => m.head)).toEqual([published]);
    // Landed: what only the attempt in flight needed (its base, its published commit) is dropped.
    expect(task(h, 'T1')).toMatchObject({ status: 'done' });
    expect(task(h, 'T1').publishedSha).toBeUndefined();
    expect(task(h, 'T1').baseSha).toBeUndefined();
    expect(code.tasksIn(goalHead(h))).toEqual(['T1']);
    expect([...code.changedSince(h.github.head, goalHead(h))]).toEqual(['src/t1.ts']);
  });

  it('takes a record of a published commit only from a publish job that succeeded', async () => {
    const h = await started('maxAttempts: 1\n');
    await finish(h, 'T1', 1, {
      before: () => {
        // The record is there, but the publish job did not run (a process left behind by the
        // agent uploaded it, say).
        const run = h.github.runs.findLast((r) => r.inputs.task_id === 'T1')!;
        run.jobs.find((j) => j.name === 'publish')!.conclusion = 'skipped';
      },
    });
    expect(merges(h)).toEqual([]);
    expect(task(h, 'T1').reason).toContain(
      "the run's `publish` job ended skipped, so the record of a published commit did not come from it",
    );
  });

  it('refuses a record whose parent is not the attempt’s base', async () => {
    const h = await started('maxAttempts: 1\n');
    const other = 'e'.repeat(40);
    await finish(h, 'T1', 1, { publish: (r) => ({ ...r, parent: other }) });
    expect(merges(h)).toEqual([]);
    expect(task(h, 'T1').status).toBe('needs-human');
    expect(task(h, 'T1').reason).toContain(`is on eeeeeee, not on the attempt's base`);
    expect(
      replies(h, 'Gantry did not land T1 (attempt 1):** its publish record does not fit'),
    ).toHaveLength(1);
  });

  it('refuses a commit GitHub shows on another base, whatever its record says', async () => {
    const h = await started('maxAttempts: 1\n');
    const code = h.github.code;
    await finish(h, 'T1', 1, {
      publish: (r) => {
        // The commit sits on an unreviewed one; the record still names the base as its parent.
        const side = code.pushTaskBranch('side', h.github.head, ['src/backdoor.ts'], 'S');
        return { ...r, sha: code.pushTaskBranch('gantry/1/T1/1', side, ['src/t1.ts'], 'T1') };
      },
    });
    expect(merges(h)).toEqual([]);
    expect(task(h, 'T1').status).toBe('needs-human');
    expect(task(h, 'T1').reason).toContain(
      `is not one commit on the attempt's base ${h.github.head.slice(0, 7)} (GitHub compares it 2 ahead, 0 behind)`,
    );
    const said = replies(h, 'Gantry did not land T1 (attempt 1)');
    expect(said).toHaveLength(1);
    expect(said[0]!.body).toContain('Nothing of it was merged.');
  });

  it('refuses a commit that is not in the repository', async () => {
    const h = await started('maxAttempts: 1\n');
    await finish(h, 'T1', 1, { publish: (r) => ({ ...r, sha: 'f'.repeat(40) }) });
    expect(merges(h)).toEqual([]);
    expect(task(h, 'T1').reason).toContain('the published commit fffffff is not in the repository');
  });

  it('refuses a blocked path found at landing, says so once, and keeps going elsewhere', async () => {
    const h = await started('blockedPaths: ["src/secret/**"]\nmaxAttempts: 1\n');
    await finish(h, 'T1');
    // The publish job let it through (an older Action, another policy): landing checks again.
    await finish(h, 'T2', 1, { result: { filesChanged: ['src/secret/key.ts', 'src/t2.ts'] } });
    await h.sweep();
    expect(merges(h)).toHaveLength(1); // T1 only
    expect(task(h, 'T2')).toMatchObject({ status: 'needs-human' });
    const problem = 'src/secret/key.ts: blocked by `blockedPaths` in .github/gantry.yml';
    expect(task(h, 'T2').reason).toContain(`last: not landed: ${problem}`);
    expect(replies(h, 'Gantry did not land T2 (attempt 1)')).toHaveLength(1);
    // Said once where it was refused; the question to a person repeats it with the facts.
    const listed = replies(h, `- ${problem}`);
    expect(listed).toHaveLength(2);
    const ask = listed.find((c) => c.body.includes('T2 needs a human'));
    expect(ask?.body).toContain(`**Refused:**\n- ${problem}`);
    // The independent branch lands; the account says why T2 did not.
    await finish(h, 'T3');
    expect(task(h, 'T3').status).toBe('done');
    expect(h.state().status).toBe('partial');
    // (a) the plan comment's task line, (c) the pull request's account.
    expect(h.plan().body).toContain(`not landed: ${problem}`);
    const pr = h.github.pulls[0]!.body;
    const row = pr.split('\n').find((l) => l.startsWith('| **T2**'))!;
    expect(row).toContain('<br>attempt 1: not landed: src/secret/key.ts: blocked by');
  });

  it('refuses a run without a publish record (an older task workflow), saying how to update it', async () => {
    const h = await started('maxAttempts: 1\n');
    await finish(h, 'T1', 1, { publish: 'none' });
    expect(merges(h)).toEqual([]);
    const reason = task(h, 'T1').reason!;
    expect(reason).toContain('the run left no `gantry-publish-1-T1-1` artifact');
    const ask = h.github.botComments().find((c) => c.body.includes('T1 needs a human'))!;
    expect(ask.body).toContain('Update `.github/workflows/gantry-task.yml` from Gantry');
  });

  it('refuses a record made for another dispatch', async () => {
    const h = await started('maxAttempts: 1\n');
    await finish(h, 'T1', 1, { publish: (r) => ({ ...r, distinctId: 'g0123456789-T1-a1' }) });
    expect(merges(h)).toEqual([]);
    expect(task(h, 'T1').reason).toContain("the publish job's record cannot be used");
  });

  it('does not land a task branch that no record names (the agent changed nothing)', async () => {
    const h = await started('maxAttempts: 1\n');
    await finish(h, 'T1', 1, {
      result: { filesChanged: [] },
      before: () => {
        h.github.code.pushTaskBranch('gantry/1/T1/1', h.github.head, ['src/evil.ts'], 'X');
      },
    });
    expect(merges(h)).toEqual([]);
    expect(task(h, 'T1').status).toBe('needs-human');
    expect(task(h, 'T1').reason).toContain('no publish record names its commit');
  });

  it('lands nothing while the config (and so the path policy) is invalid, then goes on', async () => {
    const h = await started();
    await h.deliver('push', h.github.pushConfig('blockedPaths: 3\n'));
    await finish(h, 'T1');
    expect(merges(h)).toEqual([]);
    expect(task(h, 'T1').status).toBe('landing');
    expect(
      replies(h, 'Gantry does not land T1 while `.github/gantry.yml` is invalid'),
    ).toHaveLength(1);
    h.github.config = undefined;
    await h.sweep();
    expect(task(h, 'T1').status).toBe('done');
  });

  it('a merge GitHub made whose answer was lost is the landing it was (sha merges stay idempotent)', async () => {
    const h = await started();
    h.github.failNext('merge', 502, { done: true });
    await finish(h, 'T1');
    expect(merges(h)).toHaveLength(2); // the second answered 204: nothing left to merge
    expect(task(h, 'T1').status).toBe('done');
    expect(h.github.code.judged).toEqual([goalHead(h)]);
    expect(h.errors).toEqual([]);
  });
});

describe('how the publish job ended, from its signed webhook', () => {
  const listings = (h: Harness) => h.github.calls.filter((c) => c === 'listRunJobs').length;

  it('lands without listing the run’s jobs when `workflow_job` said the publish job succeeded', async () => {
    const h = await started();
    await finish(h, 'T1', 1, { publishJob: 'success' });
    expect(merges(h)).toHaveLength(1);
    expect(task(h, 'T1').status).toBe('done');
    expect(listings(h)).toBe(0);
  });

  it('lists the jobs as before when no such webhook came (lost, another replica, a restart)', async () => {
    const h = await started();
    await finish(h, 'T1');
    expect(task(h, 'T1').status).toBe('done');
    expect(listings(h)).toBe(1);
  });

  it('refuses the record when the webhook said the publish job was cancelled, whatever a listing shows', async () => {
    const h = await started('maxAttempts: 1\n');
    await finish(h, 'T1', 1, { publishJob: 'cancelled' });
    expect(merges(h)).toEqual([]);
    // A listing shows it succeeded: the signed webhook decided (the jobs are listed afterwards
    // only for the failure's log tail).
    const run = h.github.runs.findLast((r) => r.inputs.task_id === 'T1')!;
    expect(run.jobs.find((j) => j.name === 'publish')!.conclusion).toBe('success');
    expect(task(h, 'T1').reason).toContain(
      "the run's `publish` job ended cancelled, so the record of a published commit did not come from it",
    );
  });

  /** T1's run ends after a `workflow_job` saying its publish job failed, changed by `alter`. */
  async function finishAfterOtherJob(alter: (job: Record<string, unknown>) => void) {
    const h = await started();
    const run = h.github.runs.findLast((r) => r.inputs.task_id === 'T1')!;
    const payload = h.github.finishRun(
      run.id,
      taskResult('T1', 1, { filesChanged: ['src/t1.ts'] }),
    );
    const job = h.github.jobPayload(run.id, 'publish', 'failure');
    alter(job);
    await h.deliver('workflow_job', job);
    await h.deliver('workflow_run', payload);
    // Not taken for this run: its jobs are listed, and the publish job succeeded there.
    expect(task(h, 'T1').status).toBe('done');
    expect(listings(h)).toBe(1);
  }

  it('takes no webhook about a run of another repository for this one', async () => {
    await finishAfterOtherJob((job) => {
      (job.repository as { full_name: string }).full_name = 'someone/else';
    });
  });

  it('takes no webhook about another attempt of the run (a re-run) for this one', async () => {
    await finishAfterOtherJob((job) => {
      (job.workflow_job as { run_attempt: number }).run_attempt = 2;
    });
  });
});

describe('every refusal is explained to the recovery planner', () => {
  it('a publish refusal: its problems, the failed job’s log tail, a reply', async () => {
    const h = await started();
    const problems = [
      '.github/actions/ci/action.yml: blocked by `blockedPaths` in .github/gantry.yml',
      'vendor/lib: a gitlink (a nested repository) cannot be published',
    ];
    await finish(h, 'T1', 1, {
      publish: ({ version, goal, taskId, attempt, distinctId }) => ({
        version,
        goal,
        taskId,
        attempt,
        distinctId,
        outcome: 'refused',
        problems,
      }),
    });
    expect(merges(h)).toEqual([]);
    const asked = h.asked.recover[0]!;
    expect(asked.taskId).toBe('T1');
    expect(asked.failure).toMatchObject({
      kind: 'agent',
      detail: `the publish policy refused the patch: ${problems[0]} (and 1 more)`,
      refusedPaths: problems,
    });
    expect(asked.failure.logTail).toContain('== publish ==');
    expect(asked.failure.logTail).toContain('"outcome":"refused"');
    const said = replies(h, 'Gantry did not land T1 (attempt 1):** the publish policy refused');
    expect(said).toHaveLength(1);
    for (const p of problems) expect(said[0]!.body).toContain(`- ${p}`);
  });

  it('a refusal already made in the agent job reaches the planner and the issue the same way', async () => {
    const h = await started();
    const problems = ['vendor/lib: a gitlink (a nested repository) cannot be published'];
    await finish(h, 'T1', 1, {
      result: { status: 'failure', reason: 'the change was refused', refused: problems },
    });
    expect(merges(h)).toEqual([]);
    expect(h.asked.recover[0]!.failure).toMatchObject({ kind: 'agent', refusedPaths: problems });
    const said = replies(h, 'Gantry did not land T1 (attempt 1):**');
    expect(said).toHaveLength(1);
    expect(said[0]!.body).toContain(`- ${problems[0]}`);
  });

  it('an agent failure: its failed criteria with their details and the agent job’s log tail', async () => {
    const h = await started();
    await finish(h, 'T1', 1, {
      result: {
        status: 'failure',
        reason: 'criteria still fail after 3 rounds',
        criteria: {
          passed: false,
          outcomes: [
            { path: '0', kind: 'command', passed: true, detail: '`npm run build` passed' },
            {
              path: '1',
              kind: 'composite',
              passed: false,
              detail: 'all of 2',
              children: [
                { path: '1.0', kind: 'file', passed: true, detail: 'src/t1.ts exists' },
                {
                  path: '1.1',
                  kind: 'command',
                  passed: false,
                  detail: '`npm test` exited 1: greet is not exported',
                },
              ],
            },
          ],
        },
      },
      agentLog: `${'setup\n'.repeat(2000)}npm test\nFAIL test/greet.test.ts > greets`,
    });
    const f = h.asked.recover[0]!.failure;
    expect(f.detail).toBe('agent run ended failure: criteria still fail after 3 rounds');
    expect(f.failedCriteria).toEqual([
      'criterion 1.1 (command): `npm test` exited 1: greet is not exported',
    ]);
    expect(f.logTail).toMatch(/^== agent ==\n/);
    expect(f.logTail).toContain('FAIL test/greet.test.ts > greets');
    expect(f.logTail!.length).toBeLessThanOrEqual(4000 + 20); // the tail, not the whole log
  });
});
