import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlannerOutputError } from '../../src/planner/errors.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { diamond, plan, task } from '../support/plans.js';

const fixture = join(import.meta.dirname, '../fixtures/planner/diamond.yml');
const repo = { fullName: 'octo/repo', tree: [] };
const issue = { number: 1, title: 'x', body: 'y' };

describe('ScriptedPlanner', () => {
  it('plans from a fixture file and says it is scripted', async () => {
    const p = await ScriptedPlanner.fromFile(fixture);
    expect(p.label).toBe(`scripted planner (${relative(process.cwd(), fixture)}), not a model`);
    const r = await p.plan({ issue, repo, rigor: 'L1' });
    expect(r.value.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(r.value.goal.body).toMatch(/^\[scripted\] /);
    expect(r.calls).toEqual([
      expect.objectContaining({ provider: 'scripted', model: 'scripted', costUsd: 0 }),
    ]);
  });

  it('answers recovery, knowledge and review from the script, then escalates when it runs out and says so', async () => {
    const p = await ScriptedPlanner.fromFile(fixture);
    const { value: planned } = await p.plan({ issue, repo, rigor: 'L1' });
    const failure = { kind: 'ci' as const, detail: 'red' };
    const first = await p.recover({ plan: planned, taskId: 'T2', attempts: [], failure });
    expect(first.value).toEqual({
      rootCause: '[scripted] The test imported the wrong path.',
      action: { kind: 'retry', guidance: '[scripted] Import from ../src/greet.js.' },
    });
    const second = await p.recover({ plan: planned, taskId: 'T2', attempts: [], failure });
    expect(second.value.action).toEqual({
      kind: 'escalate',
      question: '[scripted] The script has no recovery for T2. What should happen?',
    });
    const k = await p.extractKnowledge({
      task: planned.tasks[0]!,
      summary: '',
      diff: '',
      known: [],
    });
    expect(k.value).toEqual([
      {
        kind: 'decision',
        text: '[scripted] greet() returns a string and never throws.',
        source: 'T1',
      },
    ]);
    expect((await p.review({ task: planned.tasks[2]!, diff: '', criteria: [] })).value).toEqual({
      verdict: 'GAPS_FOUND',
      feedback: '[scripted] The README example is missing.',
    });
    expect((await p.review({ task: planned.tasks[0]!, diff: '', criteria: [] })).value).toEqual({
      verdict: 'PASSED',
    });
  });

  it('refuses an invalid fixture at once, naming it and the problem', () => {
    const bad = () =>
      new ScriptedPlanner({ plans: [plan([task('T1', ['T2']), task('T2', ['T1'])])] }, 'bad.yml');
    expect(bad).toThrow(PlannerOutputError);
    expect(bad).toThrow(
      /fixture bad.yml is invalid: plans.0.tasks.0.dependsOn: dependency cycle: T1 -> T2 -> T1/,
    );
  });

  it('checks scripted recoveries like a model answer', async () => {
    const p = new ScriptedPlanner({
      plans: [diamond()],
      recoveries: [
        { taskId: 'T2', rootCause: 'x', action: { kind: 'inject', tasks: [task('T9', ['T4'])] } },
      ],
    });
    const err = await p
      .recover({
        plan: diamond(),
        taskId: 'T2',
        attempts: [],
        failure: { kind: 'ci', detail: 'red' },
      })
      .catch((e: unknown) => e);
    expect((err as PlannerOutputError).userMessage).toContain(
      'dependency cycle: T2 -> T9 -> T4 -> T2',
    );
  });

  it('retries a failure the script has no recovery for, with the failure as guidance', async () => {
    const p = new ScriptedPlanner({ plans: [diamond()] });
    const r = await p.recover({
      plan: diamond(),
      taskId: 'T2',
      attempts: [{ attempt: 2, outcome: 'failure' }],
      failure: {
        kind: 'ci',
        detail: 'CI failed on the landing',
        failedChecks: ['test'],
        logTail: 'ok 1 - a\nnot ok 2 - sum adds',
      },
    });
    expect(r.value.rootCause).toBe('[scripted] ci failure: CI failed on the landing');
    expect(r.value.action).toEqual({
      kind: 'retry',
      guidance:
        '[scripted] Attempt 2 of T2 failed (ci): CI failed on the landing\nFailed checks: test\nThe log ends:\nok 1 - a\nnot ok 2 - sum adds\nFix that and try again.',
    });
  });

  it('keeps long guidance within bounds, cut at a word', async () => {
    const p = new ScriptedPlanner({ plans: [diamond()] });
    const r = await p.recover({
      plan: diamond(),
      taskId: 'T2',
      attempts: [],
      failure: { kind: 'agent', detail: 'criteria', failedCriteria: ['x '.repeat(1500)] },
    });
    const action = r.value.action as { kind: 'retry'; guidance: string };
    expect(action.guidance.length).toBeLessThanOrEqual(2000);
    expect(action.guidance).toMatch(/x…\nFix that and try again\.$/);
  });

  it('escalates at once when the script says so, for all tasks or in a recovery', async () => {
    const failure = { kind: 'agent' as const, detail: 'no' };
    const all = new ScriptedPlanner({ plans: [diamond()], unscripted: 'escalate' });
    expect(
      (await all.recover({ plan: diamond(), taskId: 'T1', attempts: [], failure })).value.action,
    ).toEqual({
      kind: 'escalate',
      question: '[scripted] The script has no recovery for T1. What should happen?',
    });
    const one = new ScriptedPlanner({
      plans: [diamond()],
      recoveries: [
        { taskId: 'T1', rootCause: 'x', action: { kind: 'escalate', question: 'Why?' } },
      ],
    });
    expect(
      (await one.recover({ plan: diamond(), taskId: 'T1', attempts: [], failure })).value.action,
    ).toEqual({ kind: 'escalate', question: '[scripted] Why?' });
    // The entry is used; the next failure is retried.
    expect(
      (await one.recover({ plan: diamond(), taskId: 'T1', attempts: [], failure })).value.action
        .kind,
    ).toBe('retry');
  });

  it('refuses an unknown value for unscripted failures', () => {
    expect(
      () => new ScriptedPlanner({ plans: [diamond()], unscripted: 'ask' as never }, 'u.yml'),
    ).toThrow(/fixture u.yml is invalid: unscripted: /);
  });
});
