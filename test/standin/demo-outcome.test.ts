import { zipSync } from 'fflate';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckSuite } from '../../src/standin/ci-runner.js';
import { criticalPath } from '../../src/standin/critical-path.js';
import { ownTestCommand, scriptGoal, withGoal } from '../../src/standin/demo-inputs.js';
import { summaryText, type DemoResult } from '../../src/standin/demo-run.js';
import { renderPage } from '../../src/standin/html-page.js';
import { oneLine, runOutcome } from '../../src/standin/run-outcome.js';
import { criteriaSaid, logHead, Timeline } from '../../src/standin/timeline.js';
import type { WebhookEvent } from '../../src/standin/webhook-payloads.js';
import type { WorkflowRun } from '../../src/standin/workflow-run.js';
import { makeRepo, sh } from '../support/git-repo.js';
import { taskResult } from '../support/task-result.js';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** A finished task run of T1 attempt 1 whose workflow succeeded, with these artifacts. */
function run(
  result: object | undefined,
  record?: object,
  conclusion: WorkflowRun['conclusion'] = 'success',
): WorkflowRun {
  const artifacts = [
    ...(result
      ? [
          {
            id: 2,
            name: 'gantry-1-T1-1',
            zip: zipSync({ 'gantry-result.json': json(result) }),
            createdAt: 0,
          },
        ]
      : []),
    ...(record
      ? [
          {
            id: 3,
            name: 'gantry-publish-1-T1-1',
            zip: zipSync({ 'gantry-published.json': json(record) }),
            createdAt: 0,
          },
        ]
      : []),
  ];
  return {
    id: 7,
    repo: 'o/r',
    workflowId: 1,
    workflowName: 'gantry-task',
    path: '.github/workflows/gantry-task.yml',
    displayTitle: 'gantry #1 T1 attempt 1 [abc]',
    headBranch: 'main',
    headSha: 'a'.repeat(40),
    actor: 'gantry[bot]',
    inputs: { task_id: 'T1', attempt: '1' },
    status: 'completed',
    conclusion,
    createdAt: 0,
    updatedAt: 1000,
    jobs: [
      {
        id: 8,
        name: 'agent',
        status: 'completed',
        conclusion: result ? 'success' : 'failure',
        steps: [],
        log: '',
        startedAt: 0,
        completedAt: 1000,
      },
    ],
    artifacts,
    concurrency: undefined,
    cancelRequested: false,
  };
}

const record = (over: object) => ({
  version: 1,
  goal: 1,
  taskId: 'T1',
  attempt: 1,
  distinctId: 'abc',
  ...over,
});

describe("a task run's line says the agent's outcome and why", () => {
  it('reads success, failure, partial, no change and refusal from the artifacts', () => {
    const sha = 'b'.repeat(40);
    const published = record({ outcome: 'published', branch: 'x', sha, parent: sha, files: ['a'] });
    expect(runOutcome(run(taskResult('T1', 1), published))).toEqual({
      outcome: 'success',
      reason: undefined,
    });
    expect(
      runOutcome(
        run(taskResult('T1', 1, { status: 'failure', reason: 'npm test failed: 2 of 5' })),
      ),
    ).toEqual({ outcome: 'failure', reason: 'npm test failed: 2 of 5' });
    expect(
      runOutcome(run(taskResult('T1', 1, { status: 'partial', reason: 'hit the turn limit' }))),
    ).toEqual({ outcome: 'partial', reason: 'hit the turn limit' });
    expect(
      runOutcome(
        run(
          taskResult('T1', 1, { filesChanged: [] }),
          record({ outcome: 'skipped', reason: 'nothing changed' }),
        ),
      ),
    ).toEqual({ outcome: 'no change', reason: 'nothing changed' });
    expect(
      runOutcome(
        run(
          taskResult('T1', 1),
          record({ outcome: 'refused', problems: ['.github/workflows/x.yml: blocked; drop it'] }),
        ),
      ),
    ).toEqual({ outcome: 'refused', reason: '.github/workflows/x.yml: blocked; drop it' });
    expect(runOutcome(run(undefined))).toEqual({
      outcome: 'failure',
      reason: 'the run left no readable gantry-result.json (job agent failed)',
    });
  });

  it('names the failed leaves of the criteria, with their output, unless the run was refused', () => {
    const leaf = (path: string, kind: string, passed: boolean, detail: string) => ({
      path,
      kind,
      passed,
      detail,
    });
    const criteria = {
      passed: false,
      outcomes: [
        leaf('0', 'file', true, 'sum.js exists (30 bytes)'),
        {
          ...leaf('1', 'composite', false, '1 of 2 passed'),
          children: [
            leaf(
              '1.0',
              'command',
              false,
              '`npm test` exited 1\n\n✖ sum adds\n  expected 5, got -1',
            ),
            leaf('1.1', 'grep', true, '/add/ found in sum.js:1'),
          ],
        },
        leaf('2', 'file', false, 'README.md does not exist'),
      ],
    };
    const partial = runOutcome(
      run(
        taskResult('T1', 1, { status: 'partial', reason: 'the criteria did not pass', criteria }),
      ),
    );
    expect(partial).toEqual({
      outcome: 'partial',
      reason: 'the criteria did not pass',
      criteria: [
        {
          path: '1.0',
          kind: 'command',
          said: '`npm test` exited 1',
          output: ['✖ sum adds', '  expected 5, got -1'],
        },
        { path: '2', kind: 'file', said: 'README.md does not exist', output: [] },
      ],
    });
    expect(criteriaSaid(partial.criteria!)).toEqual({
      said: 'criterion 1.0 (command) failed: `npm test` exited 1; criterion 2 (file) failed: README.md does not exist',
      output: ['✖ sum adds', '  expected 5, got -1'],
    });
    const many = Array.from({ length: 5 }, (_, i) => ({
      path: String(i),
      kind: 'file',
      said: `f${i} does not exist`,
      output: [],
    }));
    expect(criteriaSaid(many)?.said).toMatch(/f2 does not exist; 2 more failed$/);
    expect(criteriaSaid([])).toBeUndefined();
    // A refusal says what the policy refused, not the criteria.
    expect(
      runOutcome(
        run(taskResult('T1', 1, { status: 'failure', refused: ['x: blocked'], criteria })),
      ),
    ).toEqual({ outcome: 'refused', reason: 'x: blocked' });
  });

  it('cuts a long reason at a word', () => {
    const cut = oneLine(`${'word '.repeat(60)}end`, 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut).toMatch(/word…$/);
  });

  it("never prints a failed agent's run as success, and a red CI shows its check and log", () => {
    const lines: string[] = [];
    const t = new Timeline({ app: 'gantry[bot]', print: (l) => lines.push(l) });
    const failed = run(taskResult('T1', 1, { status: 'failure', reason: 'tests fail' }));
    const suite: CheckSuite = {
      id: 50,
      repo: 'o/r',
      sha: 'c'.repeat(40),
      branch: 'gantry/1',
      before: 'd'.repeat(40),
      app: { id: 1, slug: 'github-actions' },
      status: 'completed',
      conclusion: 'failure',
      createdAt: 0,
      runs: [
        {
          id: 51,
          name: 'test',
          status: 'completed',
          conclusion: 'failure',
          summary: '`npm test` exited with 1.',
          annotations: [],
          log: 'Node 24.1.0 (the machine)\nTime limit: 30 minutes (the default of ci.timeoutMinutes).\n✖ sum adds\n  expected 5, got -1\n',
          startedAt: 0,
          completedAt: 2000,
        },
      ],
    };
    t.sources = {
      run: (id) => (id === 7 ? failed : undefined),
      suite: (id) => (id === 50 ? suite : undefined),
    };
    t.answered({
      method: 'POST',
      path: '/repos/o/r/merges',
      status: 201,
      by: 'gantry[bot]',
      body: { commit_message: 'gantry: land T1 (attempt 1) for #1\n\nPublished as x on y.' },
      answer: { sha: 'c'.repeat(40) },
    });
    const hook = (name: string, payload: object) =>
      t.webhook({ name, payload } as unknown as WebhookEvent);
    hook('workflow_run', {
      action: 'completed',
      workflow_run: { id: 7, display_title: failed.displayTitle, conclusion: 'success' },
    });
    hook('check_suite', {
      action: 'completed',
      check_suite: { id: 50, head_sha: suite.sha, conclusion: 'failure' },
    });
    const text = lines.join('\n');
    expect(text).toMatch(/run 7 \(T1 attempt 1\): failure \(tests fail\) in/);
    expect(text).not.toMatch(/run 7 .*success/);
    expect(text).toMatch(
      /CI +red on ccccccc \(failure\) for T1: check `test` failed: `npm test` exited with 1\.; its log begins:/,
    );
    expect(text).toContain('| ✖ sum adds');
    expect(text).toContain('|   expected 5, got -1');
    expect(text).not.toContain('Time limit');
    expect(t.runs).toMatchObject([{ id: 7, task: 'T1', attempt: 1, outcome: 'failure' }]);
    expect(t.ci).toMatchObject([{ task: 'T1', ms: 2000, failed: { check: 'test' } }]);

    const page = renderPage({
      repo: 'o/r',
      issue: {
        number: 1,
        title: 'Fix',
        body: '',
        user: 'maint',
        labels: [],
        state: 'open',
        comments: [],
        createdAt: 0,
      } as never,
      note: 'n',
      runs: t.runs,
      ci: t.ci,
    });
    expect(page).toContain('<h2>Task runs</h2>');
    expect(page).toMatch(/<td class="outcome failure">failure<\/td><td>tests fail<\/td>/);
    expect(page).toContain('check <code>test</code> failed');
    expect(page).toContain('<pre class="log">✖ sum adds\n  expected 5, got -1</pre>');
  });

  it("keeps a log's first lines when the stand-in's header is not there", () => {
    expect(logHead('a\n\nb\nc', 2)).toEqual(['a', 'b']);
  });
});

describe('the wall time against the critical path', () => {
  const diamond = [
    { id: 'T1', dependsOn: [] },
    { id: 'T2', dependsOn: ['T1'] },
    { id: 'T3', dependsOn: ['T1'] },
    { id: 'T4', dependsOn: ['T2', 'T3'] },
  ];

  it('is the longest chain along the DAG, not the sum of all runs', () => {
    const ms = new Map([
      ['T1', 10],
      ['T2', 50],
      ['T3', 20],
      ['T4', 5],
    ]);
    expect(criticalPath(diamond, ms)).toEqual({ ms: 65, tasks: ['T1', 'T2', 'T4'] });
  });

  it('counts work of no task as a chain of its own', () => {
    expect(criticalPath(diamond, new Map([['T1', 3]]), 9)).toEqual({ ms: 9, tasks: [] });
  });
});

const result = (over: Partial<DemoResult>): DemoResult =>
  ({
    status: 'done',
    landed: 2,
    tasks: 2,
    taskRuns: 3,
    ciRuns: 2,
    pull: { number: 3, draft: false, ci: 'success' },
    target: { base: 'main', defaultBranch: 'main' },
    wallMs: 30_000,
    goalMs: 24_000,
    critical: { ms: 20_000, tasks: ['T1', 'T2'] },
    runs: [],
    ci: [],
    runMs: 25_000,
    ciMs: 10_000,
    appCalls: 40,
    ...over,
  }) as DemoResult;

describe("the demo's account", () => {
  it('compares the wall time with the critical path and gives calls per landed task', () => {
    const text = summaryText(result({}));
    expect(text).toContain(
      "Time: 30.0 s in all, 24.0 s from the label to the goal's end (1.20 × the critical path (T1 → T2): 20.0 s of task runs and CI; all runs added up: 35.0 s).",
    );
    expect(text).toContain('Calls by the App: 40 (20.0 per landed task).');
    expect(text).not.toContain('targets');
  });

  it('gives no calls per landed task when nothing landed', () => {
    const text = summaryText(result({ landed: 0, status: 'partial' }));
    expect(text).toContain('Calls by the App: 40 (no task landed).');
    expect(text).not.toContain('per landed task');
  });

  it('says when the pull request targets a branch other than the default', () => {
    const text = summaryText(result({ target: { base: 'release', defaultBranch: 'main' } }));
    expect(text).toContain('it targets release, not the default branch main');
  });
});

describe('the issue and the plan say the same goal', () => {
  const script = {
    plans: [{ goal: { title: 'Fix sum', body: 'sum subtracts.' }, rigor: 'L1', tasks: [] }],
  };

  it('takes the issue from the plan, or the plan from the issue', () => {
    expect(scriptGoal(script)).toEqual({ title: 'Fix sum', body: 'sum subtracts.' });
    const goal = { title: 'Make sum add', body: 'Make sum add\n\nIt subtracts.' };
    expect(withGoal(script, goal).plans[0]).toMatchObject({ goal, rigor: 'L1' });
  });
});

describe("the repository's own testCommand", () => {
  it('is read from its committed .github/gantry.yml', () => {
    const r = makeRepo({ 'a.txt': 'a\n' });
    expect(ownTestCommand(r.dir)).toBeUndefined();
    mkdirSync(join(r.dir, '.github'));
    writeFileSync(join(r.dir, '.github/gantry.yml'), 'testCommand: "  pytest -q "\n');
    expect(ownTestCommand(r.dir)).toBeUndefined(); // not committed yet: the copy takes HEAD
    sh(r.dir, 'add', '.github/gantry.yml');
    sh(r.dir, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qm', 'config');
    expect(ownTestCommand(r.dir)).toBe('pytest -q');
  });
});
