import { describe, expect, it } from 'vitest';
import { renderPrBody } from '../../src/core/checklist/pr-body.js';
import { appHarness, diamondScript, startedGoal, type Harness } from '../support/app-harness.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { PlannerOutputError } from '../../src/planner/errors.js';
import { taskResult } from '../support/task-result.js';
import { tick } from '../../src/standin/ticks.js';

const start = appHarness();

/** The paths each diamond task changes (distinct: no conflicts unless a test says so). */
const FILES: Record<string, string[]> = {
  T1: ['src/greet.ts'],
  T2: ['test/greet.test.ts'],
  T3: ['README.md'],
  T4: ['src/index.ts'],
};

/** A planned goal, all approved and started by the maintainer. */
const started = startedGoal(start);

type Over = (taskId: string, attempt: number) => Record<string, unknown> | undefined;

/** Runs not finished yet, as `T2/1`. */
const queued = (h: Harness) =>
  h.github.runs
    .filter((r) => r.status !== 'completed')
    .map((r) => `${r.inputs.task_id}/${r.inputs.attempt}`);

/**
 * Finish every queued task run as the Action would (five minutes each, success, the task's own
 * files unless `over` says otherwise) and deliver its webhook, until no run is left.
 */
async function runQueued(h: Harness, over?: Over): Promise<void> {
  for (let round = 0; round < 30; round++) {
    const open = h.github.runs.filter((r) => r.status !== 'completed');
    if (open.length === 0) return;
    for (const run of open) {
      const task = run.inputs.task_id!;
      const attempt = Number(run.inputs.attempt);
      h.clock.now += 5 * 60_000;
      const result = taskResult(task, attempt, {
        filesChanged: FILES[task],
        ...over?.(task, attempt),
      });
      await h.deliver('workflow_run', h.github.finishRun(run.id, result));
    }
  }
  throw new Error('runs keep coming');
}

/** A task's latest run finishes as the Action would (its own files, unless `over` says otherwise). */
async function finish(h: Harness, taskId: string, attempt = 1, over: Record<string, unknown> = {}) {
  const run = h.github.runs.findLast(
    (r) => r.inputs.task_id === taskId && r.inputs.attempt === String(attempt),
  );
  if (!run) throw new Error(`no run of ${taskId} attempt ${attempt}`);
  const result = taskResult(taskId, attempt, { filesChanged: FILES[taskId], ...over });
  await h.deliver('workflow_run', h.github.finishRun(run.id, result));
}

const merges = (h: Harness) => h.github.calls.filter((c) => c === 'merge');
const goalHead = (h: Harness) => h.github.refs.get(h.state().branch)!;

describe('a goal from Start to a ready pull request', () => {
  it('runs the diamond (T2 and T3 in parallel), lands each task after green CI and makes the PR ready', async () => {
    const h = await started();
    const before = h.github.calls.length;
    expect(queued(h)).toEqual(['T1/1']);
    await finish(h, 'T1');
    // T1 landed and CI passed: its two dependents run side by side.
    expect(queued(h)).toEqual(['T2/1', 'T3/1']);
    const pr = h.github.pulls[0]!;
    expect(pr).toMatchObject({ draft: true, head: h.state().branch, base: 'master' });
    expect(pr.body).toContain('Closes #1');
    await runQueued(h);

    const s = h.state();
    expect(s.status).toBe('done');
    expect(s.tasks.map((t) => t.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(merges(h)).toHaveLength(4);
    // Every landing was judged by CI on the exact sha that landed, and the goal head has them all.
    expect([...h.github.code.judged].sort()).toEqual(s.tasks.map((t) => t.landedSha).sort());
    expect(h.github.code.judged.map((sha) => h.github.code.tasksIn(sha).length)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(h.github.code.tasksIn(goalHead(h))).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(pr).toMatchObject({ draft: false, reviewers: ['maint'] });
    expect(h.github.issue().labels).toContain('gantry:done');
    expect(pr.body).toBe(renderPrBody(s));
    await expect(pr.body).toMatchFileSnapshot('__snapshots__/pr-body.done.md');
    await expect(h.plan().body).toMatchFileSnapshot('__snapshots__/plan-comment.done.md');

    // What a landed task costs in GitHub calls, from Start to done (dispatch, result, land, CI).
    // 13 when landings merged into the goal branch itself (19 before reconciles of Gantry's own
    // consequences trusted what they held); the queue adds the candidate's ref, the goal
    // branch's fast-forward and the ref's deletion: 15.25 seen.
    const perTask = (h.github.calls.length - before) / 4;
    console.info(`GitHub calls per landed task: ${perTask}`);
    expect(perTask).toBeLessThanOrEqual(16);
  });

  it('a red candidate never reaches the goal branch: recovery is asked with the failure, and the retry lands green', async () => {
    let red = true;
    const h = await started((x) => {
      x.github.code.ci = (_sha, tasks) => {
        if (!tasks.includes('T2') || !red) return 'success';
        red = false;
        return 'failure';
      };
    });
    await finish(h, 'T1');
    const green = goalHead(h);
    // T2 lands first and fails CI.
    await finish(h, 'T2');
    // The red candidate was on a ref of its own: the goal branch stayed green, never forced.
    expect(goalHead(h)).toBe(green);
    expect(
      h.github.argsOf('updateBranch').filter((a) => (a[2] as { force: boolean }).force),
    ).toEqual([]);
    const asked = h.asked.recover[0]!;
    expect(asked.taskId).toBe('T2');
    expect(asked.failure).toMatchObject({
      kind: 'ci',
      failedChecks: ['test'],
      annotations: [
        { path: 'test/greet.test.ts', line: 3, message: 'expected "hi" to be "hello"' },
      ],
    });
    expect(asked.failure.logTail).toContain('FAIL test/greet.test.ts > greets');
    // The fixture's recovery: retry with guidance, on the green head.
    const retry = h.github.runs.find((r) => r.inputs.task_id === 'T2' && r.inputs.attempt === '2')!;
    expect(retry.inputs.guidance).toContain('Import from ../src/greet.js.');
    expect(retry.inputs.base_sha).toBe(green);

    await runQueued(h);
    expect(h.state().status).toBe('done');
    expect(h.github.code.tasksIn(goalHead(h))).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(h.github.pulls[0]!.draft).toBe(false);
  });

  it('reads a CI verdict in one request, and on red lists check runs only for the logs', async () => {
    let red = true;
    const h = await started((x) => {
      x.github.code.ci = (_sha, tasks) => {
        if (!tasks.includes('T2') || !red) return 'success';
        red = false;
        return 'failure';
      };
    });
    const from = h.github.calls.length;
    await finish(h, 'T1');
    await finish(h, 'T2');
    await runQueued(h);
    expect(h.state().status).toBe('done');
    const calls = h.github.calls.slice(from);
    const count = (m: string) => calls.filter((c) => c === m).length;
    // Five landings judged (T2 twice), each read once, with its failing check names on red.
    expect(h.github.code.judged).toHaveLength(5);
    expect(count('ciReport')).toBe(5);
    // The failed run's id, for its annotations and log, is recovery's only extra read.
    expect(count('listCheckRuns')).toBe(1);
    expect(h.asked.recover[0]!.failure).toMatchObject({ kind: 'ci', failedChecks: ['test'] });
  });

  it('a recovery that adds tasks shows them in the plan and runs them before the retry', async () => {
    let red = true;
    const h = await started(async (x) => {
      x.github.code.ci = (_sha, tasks) => {
        if (!tasks.includes('T2') || !red) return 'success';
        red = false;
        return 'failure';
      };
      const script = await diamondScript();
      const helper = {
        id: 'T5',
        title: 'Add a test helper',
        description: 'Create test/helpers.ts with a greet fixture.',
        dependsOn: ['T1'],
        tier: 'small',
        criteria: [{ kind: 'file', path: 'test/helpers.ts', exists: true }],
        scope: ['test/'],
        estimate: 5,
      };
      script.recoveries = [
        {
          taskId: 'T2',
          rootCause: 'The tests need a shared fixture.',
          action: { kind: 'inject', tasks: [helper], guidance: 'Use test/helpers.ts.' },
        },
      ];
      x.planner = new ScriptedPlanner(script);
    });
    await finish(h, 'T1');
    await finish(h, 'T2');
    expect(h.state().plan!.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T3', 'T4', 'T5']);
    expect(h.plan().body).toContain('**T5** Add a test helper');
    expect(h.state().plan!.tasks[1]!.dependsOn).toEqual(['T1', 'T5']);
    // Nothing recovery added runs before a person ticks it: T5, and T2 whose dependencies changed.
    expect(h.state().tasks.at(4)!.status).toBe('proposed');
    expect(h.plan().body).toMatch(/- \[ \] .*\*\*T5\*\* Add a test helper/);
    expect(h.plan().body).toContain('They need approval');
    // An edited comment notifies nobody: a reply says what waits for review.
    const asks = h.github
      .botComments()
      .filter((c) =>
        c.body.startsWith('**Recovery for T2 proposes a new task that needs approval'),
      );
    expect(asks).toHaveLength(1);
    expect(asks[0]!.body).toContain('T5 Add a test helper');
    expect(asks[0]!.body).toContain('`/gantry skip T5`');
    await runQueued(h);
    expect(h.github.runs.some((r) => r.inputs.task_id === 'T5')).toBe(false);
    // A blanket approval is refused while the goal runs: it could take in a task added after its
    // author read the plan. Naming the reviewed tasks works.
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    expect(h.state().tasks.at(4)!.status).toBe('proposed');
    expect(h.github.botComments().at(-1)!.body).toContain(
      'Nothing changed: while the goal runs, name the tasks you reviewed (awaiting approval now: T2, T5), e.g. `/gantry approve T2 T5`',
    );
    await h.deliver('issue_comment', h.github.addComment('/gantry approve T9', 'maint').payload);
    expect(h.github.botComments().at(-1)!.body).toContain('Nothing changed: T9 is not in the plan');
    await h.deliver('issue_comment', h.github.addComment('/gantry approve T5', 'maint').payload);
    expect(h.state().tasks.at(4)).toMatchObject({ status: 'running', approvedBy: 'maint' });
    await h.deliver(
      'issue_comment',
      h.github.editComment(h.plan().id, (b) => tick(b, ['T2']), 'maint'),
    );
    await runQueued(h, (task) =>
      task === 'T5' ? { filesChanged: ['test/helpers.ts'] } : undefined,
    );
    expect(h.state().status).toBe('done');
    const order = h.github.runs.map((r) => `${r.inputs.task_id}/${r.inputs.attempt}`);
    expect(order.indexOf('T5/1')).toBeLessThan(order.indexOf('T2/2'));
    expect(h.github.code.tasksIn(goalHead(h))).toEqual(['T1', 'T2', 'T3', 'T4', 'T5']);
  });

  it('a merge conflict retries the task on the new goal head with the conflicting paths', async () => {
    const h = await started();
    await finish(h, 'T1');
    const shared = { filesChanged: ['src/greet.ts', 'src/shared.ts'] };
    await finish(h, 'T2', 1, shared);
    const afterT2 = goalHead(h);
    await finish(h, 'T3', 1, shared);
    const retry = h.github.runs.find((r) => r.inputs.task_id === 'T3' && r.inputs.attempt === '2')!;
    expect(retry.inputs.base_sha).toBe(afterT2);
    expect(retry.inputs.guidance).toContain('src/greet.ts, src/shared.ts');
    expect(h.asked.recover).toEqual([]); // a conflict is retried straight away
    await runQueued(h);
    expect(h.state().status).toBe('done');
  });

  it('retries exhausted: a human is asked, by name, while the independent branch lands', async () => {
    const h = await started((x) => (x.github.config = 'maxAttempts: 1\n'));
    await finish(h, 'T1');
    await runQueued(h, (task) =>
      task === 'T2'
        ? {
            status: 'failure',
            reason: 'npm test failed: greet is not exported',
            criteria: {
              passed: false,
              outcomes: [
                {
                  path: '1',
                  kind: 'command',
                  passed: false,
                  detail: 'node --test exited 1',
                },
              ],
            },
          }
        : undefined,
    );
    const s = h.state();
    expect(s.tasks.map((t) => t.status)).toEqual(['done', 'needs-human', 'done', 'blocked']);
    expect(s.status).toBe('partial');
    const ask = h.github.botComments().find((c) => c.body.includes('T2 needs a human'))!;
    expect(ask.body).toContain('@maint');
    expect(ask.body).toContain('npm test failed: greet is not exported');
    // What failed, the failed criteria and every attempt with its reason, then what to do.
    expect(ask.body).toContain(
      '**What failed last (the agent):** agent run ended failure: npm test failed: greet is not exported',
    );
    expect(ask.body).toContain(
      '**Failed criteria:**\n- criterion 1 (command): node --test exited 1',
    );
    expect(ask.body).toContain(
      '**Attempts:**\n- attempt 1: agent run ended failure: npm test failed: greet is not exported',
    );
    // The end of the failed run's log, folded, in a fence it cannot close.
    expect(ask.body).toContain(
      '<details><summary>Last output</summary>\n\n```text\n== agent ==\ngantry agent\nnpm test failed: greet is not exported\n```',
    );
    expect(ask.body).toContain('`/gantry retry T2`');
    expect(h.github.issue().labels).toContain('gantry:needs-human');
    const pr = h.github.pulls[0]!;
    expect(pr.draft).toBe(true);
    expect(pr.body).toContain('🙋 needs a human');
    expect(pr.body).toContain('2 of 4 tasks done (partial)');
  });

  it('a task that changed nothing is done without a merge, and Gantry says so', async () => {
    const h = await started();
    await finish(h, 'T1', 1, { filesChanged: [] });
    expect(h.state().tasks.at(0)!.status).toBe('done');
    expect(h.github.code.judged).toEqual([]); // nothing landed, nothing for CI to judge
    expect(h.github.botComments().at(-1)!.body).toContain('T1 changed nothing');
    expect(queued(h)).toEqual(['T2/1', 'T3/1']);
  });

  it('a review that needs a human escalates the task', async () => {
    const h = await started(async (x) => {
      x.github.config = 'agent: { review: true }\n';
      const script = await diamondScript();
      script.reviews = [
        { taskId: 'T1', verdict: 'HUMAN_NEEDED', question: 'Should greet() accept @mentions?' },
      ];
      x.planner = new ScriptedPlanner(script);
    });
    await finish(h, 'T1');
    expect(h.state().tasks.at(0)!.status).toBe('needs-human');
    const ask = h.github.botComments().find((c) => c.body.includes('T1 needs a human'))!;
    expect(ask.body).toContain('Should greet() accept @\u2060mentions?');
    expect(merges(h)).toEqual([]);
  });

  it('keeps outside text inert in the reply, the plan comment and the pull request', async () => {
    const evil =
      '<img src=x onerror=alert(1)> <details>@org/team and @octocat</details> owner/repo#1 <!-- gantry:start -->';
    const h = await started((x) => (x.github.config = 'maxAttempts: 1\n'));
    await finish(h, 'T1');
    await runQueued(h, (task) => (task === 'T2' ? { status: 'failure', reason: evil } : undefined));
    const ask = h.github.botComments().find((c) => c.body.includes('T2 needs a human'))!;
    const pr = h.github.pulls[0]!;
    for (const body of [ask.body, h.plan().body.replace(/<!-- [^>]*-->/g, ''), pr.body]) {
      expect(body).not.toMatch(
        /<img|<details>@|@org\/team|@octocat|owner\/repo#1|<!-- gantry:start/,
      );
      expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
    expect(ask.body).toContain('@maint'); // Gantry's own mention of the approver still notifies
  });

  it('reviews a result when the config asks, and retries it with the gaps found', async () => {
    const h = await started((x) => (x.github.config = 'agent: { review: true }\n'));
    await finish(h, 'T1');
    await runQueued(h);
    expect(h.asked.review.map((r) => r.task.id)).toEqual(['T1', 'T2', 'T3', 'T3', 'T4']);
    const retry = h.github.runs.find((r) => r.inputs.task_id === 'T3' && r.inputs.attempt === '2')!;
    expect(retry.inputs.guidance).toContain('The README example is missing.');
    expect(h.state().status).toBe('done');
  });

  it('hands what a task learned to the tasks after it, and puts it in the PR', async () => {
    const h = await started();
    const findings = [{ kind: 'gotcha', text: 'The package is ESM: import with .js suffixes.' }];
    await finish(h, 'T1', 1, { findings });
    const t2 = h.github.runs.find((r) => r.inputs.task_id === 'T2')!;
    // What the agent reported, then what the planner found in its summary and diff.
    expect(JSON.parse(t2.inputs.knowledge!)).toEqual([
      { ...findings[0], source: 'T1' },
      {
        kind: 'decision',
        text: '[scripted] greet() returns a string and never throws.',
        source: 'T1',
      },
    ]);
    await runQueued(h);
    expect(h.github.pulls[0]!.body).toContain(
      '- **gotcha** The package is ESM: import with .js suffixes. (T1)',
    );
  });
});

describe('limits', () => {
  it('the breaker opens after consecutive failures, holds dispatches, then lets one trial through', async () => {
    const h = await started(async (x) => {
      x.github.config = 'breaker: { threshold: 2, cooldownMinutes: 10 }\n';
      const script = await diamondScript();
      const again = {
        rootCause: 'A flaky install.',
        action: { kind: 'retry', guidance: 'Try again.' },
      };
      script.recoveries = [again, again];
      x.planner = new ScriptedPlanner(script);
    });
    const fail = { status: 'failure', reason: 'npm ci failed' };
    await finish(h, 'T1', 1, fail);
    expect(queued(h)).toEqual(['T1/2']);
    await finish(h, 'T1', 2, fail);
    // Two failures in a row: open. T1 waits to retry; nothing is dispatched.
    expect(h.state()).toMatchObject({ status: 'paused', pausedFor: 'breaker', breaker: 'open' });
    expect(h.state().tasks.at(0)!.status).toBe('retrying');
    expect(queued(h)).toEqual([]);
    expect(h.plan().body).toContain('breaker open');
    await h.sweep();
    expect(queued(h)).toEqual([]); // still cooling down
    h.clock.now += 11 * 60_000;
    await h.sweep();
    // Half-open: one trial task.
    expect(h.state()).toMatchObject({ status: 'running', breaker: 'half-open' });
    expect(queued(h)).toEqual(['T1/3']);
    await finish(h, 'T1', 3);
    expect(h.state().breaker).toBe('closed');
    await runQueued(h);
    expect(h.state().status).toBe('done');
  });

  it('a goal that cannot reserve its next task pauses, says how to go on, and resumes with a new budget', async () => {
    // $0.60 for the goal: T1 reserves $0.50 and costs $0.31; T2 cannot reserve $0.50 more.
    const h = await started((x) => (x.github.config = 'budget: { goalUsd: 0.6 }\n'));
    await finish(h, 'T1');
    expect(h.state()).toMatchObject({ status: 'paused', pausedFor: 'budget' });
    expect(queued(h)).toEqual([]);
    const pause = h.github.botComments().find((c) => c.body.includes('the budget cannot cover'))!;
    expect(pause.body).toContain('`/gantry budget <usd>`');
    expect(pause.body).toContain('`budget.goalUsd`');

    await h.deliver('issue_comment', h.github.addComment('/gantry resume', 'maint').payload);
    expect(h.github.botComments().at(-1)!.body).toContain(
      'Nothing changed: the goal budget is still $0.60',
    );
    h.github.config = 'budget: { goalUsd: 1.2 }\n';
    await h.deliver('issue_comment', h.github.addComment('/gantry resume', 'maint').payload);
    expect(h.state().status).toBe('running');
    expect(queued(h)).toEqual(['T2/1']); // $0.89 left: one more small task fits
    // At most four times budget.goalUsd ($1.20) by default.
    await h.deliver('issue_comment', h.github.addComment('/gantry budget 4.8', 'maint').payload);
    await runQueued(h);
    expect(h.state().status).toBe('done');
    expect(
      h.github.botComments().filter((c) => c.body.includes('the budget cannot cover')),
    ).toHaveLength(1);
  });

  it('cancel stops runs and keeps the goal branch', async () => {
    const h = await started();
    await finish(h, 'T1');
    const head = goalHead(h);
    await h.deliver('issue_comment', h.github.addComment('/gantry cancel', 'maint').payload);
    expect(h.state().status).toBe('cancelled');
    expect(h.github.runs.filter((r) => r.conclusion === 'cancelled')).toHaveLength(2);
    expect(goalHead(h)).toBe(head);
    expect(h.plan().body).toContain(
      `Cancelled by @\u2060maint. The branch \`${h.state().branch}\` keeps the 1 task that landed, and pull request #100 stays open as a draft.`,
    );
  });
});

describe('CI that does not report', () => {
  it('required CI: Gantry waits and says why in the plan comment', async () => {
    const h = await started((x) => {
      x.github.config = 'ci: { policy: required, timeoutMinutes: 20 }\n';
      x.github.code.ci = () => 'none';
    });
    await finish(h, 'T1');
    h.clock.now += 21 * 60_000;
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('validating');
    expect(h.plan().body).toContain('No CI result for');
    expect(h.plan().body).toContain('CI is required (ci.policy): Gantry waits.');
    expect(queued(h)).toEqual([]);
  });

  it('CI still running is waited for, on webhooks and sweeps alike', async () => {
    const h = await started((x) => (x.github.code.ci = () => 'running'));
    await finish(h, 'T1');
    const sha = h.state().tasks.at(0)!.landedSha!;
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('validating');
    expect(h.github.argsOf('ciReport')).toContainEqual([sha]);
    h.github.code.finishCi(sha, 'success');
    await h.sweep(); // reads the verdict (and its check_suite webhook arrives too)
    expect(h.state().tasks.at(0)!.status).toBe('done');
  });

  it('optional CI: after the timeout the task’s own criteria decide', async () => {
    const h = await started((x) => {
      x.github.config = 'ci: { policy: optional, timeoutMinutes: 20 }\n';
      x.github.code.ci = () => 'none';
    });
    await finish(h, 'T1');
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('validating'); // time is left
    h.clock.now += 21 * 60_000;
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('done');
    expect(queued(h)).toEqual(['T2/1', 'T3/1']);
    // Each later landing waits out its time too; the last one finishes the goal from a sweep.
    for (let i = 0; i < 3; i++) {
      await runQueued(h);
      h.clock.now += 21 * 60_000;
      await h.sweep();
    }
    expect(h.state().status).toBe('done');
    expect(h.github.pulls[0]).toMatchObject({ draft: false, reviewers: ['maint'] });
  });
});

describe('lost and repeated webhooks', () => {
  it('a restart mid-goal resumes from GitHub and the signed state; no task runs twice', async () => {
    const h = await started();
    await finish(h, 'T1');
    const t2 = h.github.runs.find((r) => r.inputs.task_id === 'T2')!;
    await h.restart();
    // While the App was down, T2 finished and its webhook was lost.
    h.github.finishRun(t2.id, taskResult('T2', 1, { filesChanged: FILES.T2 }));
    await h.sweep();
    expect(h.state().tasks.at(1)!.status).toBe('done');
    await runQueued(h);
    expect(h.state().status).toBe('done');
    const attempts = h.github.runs.map((r) => `${r.inputs.task_id}/${r.inputs.attempt}`);
    expect(attempts).toEqual(['T1/1', 'T2/1', 'T3/1', 'T4/1']);
    expect(merges(h)).toHaveLength(4);
  });

  it('a lost CI webhook is made up for by the sweep', async () => {
    const h = await started((x) => x.github.lose.add('check_suite'));
    await finish(h, 'T1');
    expect(h.state().tasks.at(0)!.status).toBe('validating');
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('done');
    expect(queued(h)).toEqual(['T2/1', 'T3/1']);
  });

  it('a finished run delivered twice lands once', async () => {
    const h = await started();
    const done = h.github.finishRun(70_000, taskResult('T1', 1, { filesChanged: FILES.T1 }));
    await h.deliver('workflow_run', done, 'run-done');
    await h.deliver('workflow_run', done, 'run-done-redelivered');
    expect(merges(h)).toHaveLength(1);
    expect(queued(h)).toEqual(['T2/1', 'T3/1']);
  });
});

describe('when things go wrong outside Gantry', () => {
  it('a recovery planner that keeps failing is asked once per pass, and its cost is counted once', async () => {
    const h = await started(async (x) => {
      const scripted = new ScriptedPlanner(await diamondScript());
      const error = new PlannerOutputError(
        'bad answer',
        'The model answered with an invalid recovery.',
        ['action: required'],
        3,
      );
      error.calls = [{ ...call, costUsd: 0.05 }];
      x.planner = {
        label: scripted.label,
        plan: (req) => scripted.plan(req),
        recover: () => Promise.reject(error),
        extractKnowledge: (req) => scripted.extractKnowledge(req),
        review: (req) => scripted.review(req),
        estimate: (p) => scripted.estimate(p),
      };
    });
    const spent = h.state().budget.spentMicros;
    await finish(h, 'T1', 1, { status: 'failure', reason: 'npm ci failed' });
    expect(h.asked.recover).toHaveLength(1);
    expect(h.state().tasks.at(0)!.status).toBe('failed');
    expect(h.state().budget.spentMicros).toBe(spent + 310_000 + 50_000); // the run, the call
    expect(h.github.botComments().at(-1)!.body).toContain('Recovery planning for T1 failed');
    await h.sweep();
    expect(h.asked.recover).toHaveLength(2); // asked again on the next pass
  });

  it('text from an agent cannot pass for a plan comment or mention anyone', async () => {
    const h = await started((x) => (x.github.config = 'maxAttempts: 1\n'));
    const reason = 'broke <!-- gantry:plan --> and ping @octocat';
    await finish(h, 'T1', 1, { status: 'failure', reason });
    const ask = h.github.botComments().find((c) => c.body.includes('T1 needs a human'))!;
    expect(ask.body).not.toContain('<!-- gantry:plan -->');
    expect(ask.body).not.toMatch(/@octocat/);
    expect(ask.body).toContain('broke &lt;!-- gantry:plan --&gt;');
    // The goal is still read from its real plan comment.
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('needs-human');
    expect(h.github.botComments().filter((c) => c.body.includes('cannot be restored'))).toEqual([]);
  });

  it('a goal branch someone pushed to is not force-pushed: the goal pauses and says what to do', async () => {
    const h = await started();
    await finish(h, 'T1');
    const branch = h.state().branch;
    // A maintainer pushes a commit of their own onto the goal branch.
    const theirs = h.github.code.pushTaskBranch(branch, goalHead(h), ['NOTES.md'], 'hand');
    await finish(h, 'T2');
    expect(goalHead(h)).toBe(theirs);
    expect(h.state()).toMatchObject({ status: 'paused', pausedFor: 'user' });
    const said = h.github.botComments().find((c) => c.body.includes('cannot fast-forward'))!.body;
    expect(said).toContain('Gantry never force-pushes the goal branch');
    expect(
      h.github.argsOf('updateBranch').filter((a) => (a[2] as { force: boolean }).force),
    ).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('a new goal after a cancelled one that started gets its own branch and pull request', async () => {
    const h = await started();
    await finish(h, 'T1');
    const first = h.state().branch;
    await h.deliver('issue_comment', h.github.addComment('/gantry cancel', 'maint').payload);
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    expect(h.state().branch).toBe(`${first}-goal2`);
    expect(h.github.refs.get(first)).toBeDefined(); // the old one is kept
    await finish(h, 'T1'); // the new goal's run
    expect(h.github.pulls.map((p) => p.head)).toEqual([first, `${first}-goal2`]);
  });
});

/** A billed model call, as planners report them. */
const call = {
  operation: 'recover' as const,
  provider: 'anthropic' as const,
  model: 'claude-opus-5-5',
  inputTokens: 1000,
  outputTokens: 100,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
  stopReason: 'end_turn',
  repair: 0,
};
