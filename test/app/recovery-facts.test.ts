import { describe, expect, it } from 'vitest';
import { diffStat } from '../../src/app/task-results.js';
import { appHarness, startedGoal, type Harness } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

const started = startedGoal(appHarness());

/** T2's change: a new test file and a line of the source changed. */
const PATCH = `diff --git a/test/greet.test.ts b/test/greet.test.ts
new file mode 100644
index 0000000..3b18e51
--- /dev/null
+++ b/test/greet.test.ts
@@ -0,0 +1,3 @@
+import { greet } from '../greet.js';
+-- a line that only looks like a header
+assert.equal(greet(), 'hello');
diff --git a/src/greet.ts b/src/greet.ts
index 1111111..2222222 100644
--- a/src/greet.ts
+++ b/src/greet.ts
@@ -1,2 +1,2 @@
-export const greet = () => 'hi';
+export const greet = () => 'hello';
 // end
`;

const FAILED_CRITERIA = {
  passed: false,
  outcomes: [
    {
      path: '1',
      kind: 'command',
      passed: false,
      detail: `\`node --test\` exited 1\n${'# ok\n'.repeat(60)}not ok 1 - greets\n  expected 'hi' to be 'hello'`,
    },
  ],
};

/** The task's latest run of `attempt` ends with this result, patch and agent log. */
async function finish(
  h: Harness,
  taskId: string,
  attempt: number,
  over: Record<string, unknown>,
  patch = PATCH,
  agentLog = `gantry agent\nround ${attempt}: node --test exited 1\nnot ok 1 - greets`,
): Promise<void> {
  const run = h.github.runs.findLast(
    (r) => r.inputs.task_id === taskId && r.inputs.attempt === String(attempt),
  );
  if (!run) throw new Error(`no run of ${taskId} attempt ${attempt}`);
  const result = taskResult(taskId, attempt, over);
  await h.deliver(
    'workflow_run',
    h.github.finishRun(run.id, result, 'success', {
      patch,
      agentLog,
    }),
  );
}

const agentFailure = {
  status: 'partial',
  reason: 'the criteria did not pass after 2 rounds',
  criteria: FAILED_CRITERIA,
  filesChanged: ['test/greet.test.ts', 'src/greet.ts'],
};

describe('recovery and escalation with the facts', () => {
  it('after an agent failure recovery gets the failed criteria, the diff stat, the log tail and every attempt', async () => {
    const h = await started();
    await finish(h, 'T1', 1, { filesChanged: ['src/greet.ts'] }, '');
    await finish(h, 'T2', 1, agentFailure);
    const first = h.asked.recover[0]!;
    expect(first.taskId).toBe('T2');
    expect(first.failure).toMatchObject({
      kind: 'agent',
      diffStat: 'test/greet.test.ts | +3 -0\nsrc/greet.ts | +1 -1\n2 files changed, +4 -1',
      agentSummary: 'Added greet().',
    });
    // The criteria as the result has them, with their output (the state keeps them clipped).
    expect(first.failure.failedCriteria).toEqual([
      `criterion 1 (command): ${FAILED_CRITERIA.outcomes[0]!.detail}`,
    ]);
    expect(first.failure.logTail).toContain('round 1: node --test exited 1');

    // The fixture's recovery retries T2; its second attempt fails the same way.
    await finish(h, 'T2', 2, {
      ...agentFailure,
      reason: 'the agent reached its turn limit; the work so far is kept',
    });
    const second = h.asked.recover[1]!;
    expect(second.attempts).toEqual([
      {
        attempt: 1,
        outcome: 'failed',
        summary: 'agent run ended partial: the criteria did not pass after 2 rounds',
      },
      expect.objectContaining({
        attempt: 2,
        outcome: 'agent',
        summary:
          'agent run ended partial: the agent reached its turn limit; the work so far is kept',
      }),
    ]);
    expect(second.failure.diffStat).toContain('2 files changed, +4 -1');
  });

  it('after red CI recovery gets the failed checks and the diff stat of what landed', async () => {
    let red = true;
    const h = await started((x) => {
      x.github.code.ci = (_sha, tasks) => {
        if (!tasks.includes('T2') || !red) return 'success';
        red = false;
        return 'failure';
      };
    });
    await finish(h, 'T1', 1, { filesChanged: ['src/greet.ts'] }, '');
    await finish(h, 'T2', 1, { filesChanged: ['test/greet.test.ts', 'src/greet.ts'] });
    const asked = h.asked.recover[0]!;
    expect(asked.failure).toMatchObject({
      kind: 'ci',
      failedChecks: ['test'],
      diffStat: 'test/greet.test.ts | +3 -0\nsrc/greet.ts | +1 -1\n2 files changed, +4 -1',
    });
    expect(asked.failure.logTail).toContain('FAIL test/greet.test.ts > greets');
  });

  it('the needs-human comment says what failed, the attempts, the criteria, the change and the last output, folded, and how to go on', async () => {
    const h = await started((x) => (x.github.config = 'maxAttempts: 2\n'));
    await finish(h, 'T1', 1, { filesChanged: ['src/greet.ts'] }, '');
    await finish(h, 'T2', 1, agentFailure);
    await finish(h, 'T2', 2, { ...agentFailure, reason: 'the agent reached its turn limit' });
    expect(h.state().tasks.at(1)!.status).toBe('needs-human');
    const ask = h.github.botComments().find((c) => c.body.includes('T2 needs a human'))!.body;
    expect(ask).toContain(
      '**What failed last (the agent):** agent run ended partial: the agent reached its turn limit',
    );
    expect(ask).toContain(
      '**Failed criteria:**\n- criterion 1 (command): `node --test` exited 1\n\n',
    );
    expect(ask).toContain(
      '**Attempts:**\n- attempt 1: agent run ended partial: the criteria did not pass after 2 rounds\n- attempt 2: agent run ended partial: the agent reached its turn limit',
    );
    expect(ask).toContain(
      '<details><summary>What attempt 2 changed</summary>\n\n```text\ntest/greet.test.ts | +3 -0\nsrc/greet.ts | +1 -1\n2 files changed, +4 -1\n```',
    );
    expect(ask).toContain(
      '<details><summary>Last output</summary>\n\n```text\n== agent ==\ngantry agent\nround 2: node --test exited 1\nnot ok 1 - greets\n== criterion 1 (command): `node --test` exited 1 ==\n# ok\n',
    );
    expect(ask).toContain(
      "# ok\nnot ok 1 - greets\n  expected 'hi' to be 'hello'\n```\n\n</details>",
    );
    expect(ask).toContain('`/gantry retry T2`');
    expect(ask).toContain('`/gantry skip T2`');
  });

  it('the needs-human comment stays within GitHub’s limit whatever the agent wrote', async () => {
    const h = await started((x) => (x.github.config = 'maxAttempts: 1\n'));
    await finish(h, 'T1', 1, { filesChanged: ['src/greet.ts'] }, '');
    // 30 files of 3,000-character paths, and a job log whose last line has 200,000 characters.
    const long = (i: number) => `d${i}/${'x'.repeat(3_000)}.ts`;
    const patch = Array.from(
      { length: 30 },
      (_, i) =>
        `diff --git a/${long(i)} b/${long(i)}\n--- a/${long(i)}\n+++ b/${long(i)}\n@@ -1 +1 @@\n-a\n+b\n`,
    ).join('');
    await finish(h, 'T2', 1, agentFailure, patch, `gantry agent\n${'y'.repeat(200_000)}`);
    const ask = h.github.botComments().find((c) => c.body.includes('T2 needs a human'))!.body;
    expect(ask.length).toBeLessThanOrEqual(60_000);
    expect(ask).toContain('<summary>What attempt 1 changed</summary>');
    expect(ask).toMatch(/\nd0\/x+…x+\.ts \| \+1 -1\n/);
    expect(ask).toContain('30 files changed, +30 -30');
    expect(ask).toContain('`/gantry skip T2`');
  });

  it('the needs-human comment after red CI folds the failed job’s log', async () => {
    const h = await started((x) => {
      x.github.config = 'maxAttempts: 1\n';
      x.github.code.ci = (_sha, tasks) => (tasks.includes('T2') ? 'failure' : 'success');
    });
    await finish(h, 'T1', 1, { filesChanged: ['src/greet.ts'] }, '');
    await finish(h, 'T2', 1, { filesChanged: ['test/greet.test.ts', 'src/greet.ts'] });
    const ask = h.github.botComments().find((c) => c.body.includes('T2 needs a human'))!.body;
    expect(ask).toContain('**What failed last (CI):** CI failed on 0000000: test\n');
    expect(ask).toContain('**Failed checks:**\n- test');
    expect(ask).toMatch(
      /<summary>Last output<\/summary>\n\n```text\n== test ==\n[^]*FAIL test\/greet\.test\.ts &gt; greets/,
    );
    expect(ask).toContain('2 files changed, +4 -1');
  });
});

describe('diffStat', () => {
  it('counts lines per file, marks binaries, bounds the list and falls back to the files', () => {
    expect(diffStat(PATCH)).toBe(
      'test/greet.test.ts | +3 -0\nsrc/greet.ts | +1 -1\n2 files changed, +4 -1',
    );
    const binary =
      'diff --git a/logo.png b/logo.png\nindex 1..2 100644\nGIT binary patch\nliteral 4\nabc\n';
    expect(diffStat(binary)).toBe('logo.png | binary\n1 file changed, +0 -0');
    const many = Array.from(
      { length: 32 },
      (_, i) => `diff --git a/f${i} b/f${i}\n--- a/f${i}\n+++ b/f${i}\n@@ -1 +1 @@\n-a\n+b\n`,
    ).join('');
    const lines = diffStat(many).split('\n');
    expect(lines).toHaveLength(32);
    expect(lines.slice(-2)).toEqual(['… and 2 more', '32 files changed, +32 -32']);
    expect(diffStat('', ['a.ts', 'b.ts'])).toBe(
      'a.ts\nb.ts\n2 files changed (lines not counted: no patch to read)',
    );
    expect(diffStat('')).toBe('');
    // A path of thousands of characters (git allows it) is elided in the middle.
    const deep = `${'a/'.repeat(1_000)}end.ts`;
    const line = diffStat(`diff --git a/${deep} b/${deep}\n`).split('\n')[0]!;
    expect(line.length).toBeLessThan(200);
    expect(line).toMatch(/^a\/a\/.*….*\/end\.ts \| \+0 -0$/);
  });
});
