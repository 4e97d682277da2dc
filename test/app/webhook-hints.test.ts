import { describe, expect, it } from 'vitest';
import { runHintOf, type Hint } from '../../src/app/hints.js';
import { StateMemory } from '../../src/app/state-memory.js';
import { WEBHOOK_HINTS } from '../../src/app/webhook-hints.js';
import { examplePayload } from '../support/probot.js';

/** GitHub's own example payloads, adjusted; the table's rules are pure, so no app is needed. */
const deps = { memory: new StateMemory(), appId: 4242 };
const repo = { owner: 'Codertocat', repo: 'Hello-World', defaultBranch: 'master' };

function payload<T>(event: string, action: string | undefined, change: (p: T) => void = () => {}) {
  const p = examplePayload<T>(event, action as string);
  change(p);
  return p as never;
}

describe('the webhook table', () => {
  it('a label becomes a hint for the issue, unless it is a state label or the issue a pull request', () => {
    type Labeled = { label: { name: string }; issue: { pull_request?: object } };
    const labeled = (name: string, pr = false) =>
      payload<Labeled>('issues', 'labeled', (p) => {
        p.label.name = name;
        if (pr) p.issue.pull_request = { url: 'x' };
      });
    expect(WEBHOOK_HINTS['issues.labeled'](labeled('gantry'), deps)).toEqual({
      ref: { ...repo, issue: 1 },
      hint: { kind: 'labeled', label: 'gantry' },
    });
    expect(WEBHOOK_HINTS['issues.labeled'](labeled('gantry:running'), deps)).toBeUndefined();
    expect(WEBHOOK_HINTS['issues.labeled'](labeled('gantry', true), deps)).toBeUndefined();
  });

  it("CI on a goal branch is a hint for its goal; Gantry's own suites and other branches are not", () => {
    type Suite = { check_suite: { head_branch: string; head_sha: string; app: { id: number } } };
    const suite = (branch: string, appId = 15368) =>
      payload<Suite>('check_suite', 'completed', (p) => {
        p.check_suite.head_branch = branch;
        p.check_suite.app.id = appId;
      });
    const sha = examplePayload<Suite>('check_suite', 'completed').check_suite.head_sha;
    expect(WEBHOOK_HINTS['check_suite.completed'](suite('gantry/7-rate-limits'), deps)).toEqual({
      ref: { ...repo, issue: 7 },
      hint: { kind: 'ci', sha },
    });
    expect(WEBHOOK_HINTS['check_suite.completed'](suite('gantry/7-rate-limits', 4242), deps)).toBe(
      undefined,
    );
    expect(WEBHOOK_HINTS['check_suite.completed'](suite('main'), deps)).toBeUndefined();
  });

  it('a commit status is a hint for every goal branch it names, once it is no longer pending', () => {
    type Status = { state: string; branches: { name: string }[] };
    const status = (state: string) =>
      payload<Status>('status', undefined, (p) => {
        p.state = state;
        p.branches = [{ name: 'gantry/3-a' }, { name: 'main' }, { name: 'gantry/4-b' }].map(
          (b) => ({ ...p.branches[0], ...b }),
        );
      });
    expect(WEBHOOK_HINTS.status(status('pending'))).toBeUndefined();
    const hints = WEBHOOK_HINTS.status(status('success')) ?? [];
    expect(hints.map((h) => [h.ref.issue, h.hint.kind])).toEqual([
      [3, 'ci'],
      [4, 'ci'],
    ]);
  });

  it('a task run is a hint by its dispatch id; another workflow is CI on its branch', () => {
    type Run = {
      workflow_run: {
        path?: string;
        display_title?: string;
        head_branch: string;
        id: number;
        status: string;
      };
    };
    const run = (change: (r: Run['workflow_run']) => void) =>
      payload<Run>('workflow_run', 'completed', (p) => change(p.workflow_run));
    const task = run((r) => {
      r.path = '.github/workflows/gantry-task.yml';
      r.display_title = 'gantry #5 T2 attempt 1 [g0123456789-T2-a1]';
      r.status = 'completed';
    });
    expect(WEBHOOK_HINTS.workflow_run(task, deps)).toMatchObject({
      ref: { owner: 'Codertocat', repo: 'Hello-World', issue: 5 },
      hint: { kind: 'run', distinctId: 'g0123456789-T2-a1', status: 'completed' },
    });
    const ci = run((r) => {
      r.path = '.github/workflows/ci.yml';
      r.head_branch = 'gantry/5-x';
      r.status = 'completed';
    });
    expect(WEBHOOK_HINTS.workflow_run(ci, deps)).toMatchObject({
      ref: { issue: 5 },
      hint: { kind: 'ci' },
    });
    const unnamed = run((r) => {
      r.path = '.github/workflows/gantry-task.yml';
      r.display_title = 'something else';
    });
    expect(WEBHOOK_HINTS.workflow_run(unnamed, deps)).toBeUndefined();
  });

  it('of several hints about one run in a reconcile, the completion of its latest attempt counts', () => {
    const run = (attempt: number, status: string): Hint => ({
      kind: 'run',
      runId: 7,
      distinctId: 'd-1-T1-1',
      status,
      conclusion: status === 'completed' ? 'success' : null,
      attempt,
    });
    const rerun = [
      run(1, 'completed'),
      run(2, 'in_progress'),
      run(2, 'completed'),
      run(1, 'queued'),
    ];
    expect(runHintOf(rerun, 7)).toEqual(run(2, 'completed'));
    expect(runHintOf([run(1, 'completed'), run(1, 'in_progress')], 7)).toEqual(run(1, 'completed'));
    expect(runHintOf([run(1, 'queued'), run(1, 'in_progress')], 7)).toEqual(run(1, 'in_progress'));
    expect(runHintOf(rerun, 8)).toBeUndefined();
  });
});
