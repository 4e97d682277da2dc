import { describe, expect, it } from 'vitest';
import { renderPrBody } from '../../src/core/checklist/pr-body.js';
import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent } from '../../src/core/events.js';
import {
  defaultGoalSettings,
  initGoal,
  type GoalState,
  type TaskRun,
} from '../../src/core/goal.js';
import { PersistentList } from '../../src/core/persistent-list.js';
import { owedEffects } from '../../src/core/owed-effects.js';
import { step } from '../../src/core/step.js';
import * as ev from '../support/events.js';
import { plan, task } from '../support/plans.js';

const BASE = 'b'.repeat(40);
const SHA = 'c'.repeat(40);

/** A started goal of one task, T1, dispatched on BASE. */
function started(maxAttempts = 3): { s: GoalState; send: (e: GoalEvent) => GoalState } {
  let s = initGoal({
    repo: 'o/r',
    issue: 42,
    title: 'Add a feature',
    at: 0,
    settings: { ...defaultGoalSettings, maxAttempts },
  });
  let t = 0;
  const send = (e: GoalEvent) => (s = step(s, { ...e, at: ++t }).state);
  send(ev.planProposed({ plan: plan([task('T1'), task('T2', ['T1'])]) }));
  send(ev.approve(['T1', 'T2']));
  send(ev.start({ baseSha: BASE }));
  send(ev.baseGreen({ sha: BASE }));
  return { s, send };
}

const owed = <T extends Effect['type']>(s: GoalState, type: T) =>
  owedEffects(s, 0).filter((f): f is Extract<Effect, { type: T }> => f.type === type);

describe('landing exactly the published commit', () => {
  it('the land effect carries the published sha and the attempt base', () => {
    const { send } = started();
    const s = send(ev.taskFinished({ taskId: 'T1', published: { sha: SHA, parent: BASE } }));
    expect(s.tasks.at(0)).toMatchObject({ status: 'landing', publishedSha: SHA });
    expect(owed(s, 'land-task')).toEqual([
      expect.objectContaining({ taskId: 'T1', sha: SHA, baseSha: BASE, branch: 'gantry/42/T1/1' }),
    ]);
  });

  it('a commit published on another parent is refused, not landed', () => {
    const { send } = started();
    const other = 'd'.repeat(40);
    const s = send(ev.taskFinished({ taskId: 'T1', published: { sha: SHA, parent: other } }));
    expect(owed(s, 'land-task')).toEqual([]);
    const t = s.tasks.at(0)!;
    expect(t.status).toBe('failed');
    expect(t.reason).toBe(
      "not landed: the published commit ccccccc is on ddddddd, not on the attempt's base bbbbbbb",
    );
    expect(owed(s, 'ask-recovery')[0]!.failure.refused).toEqual([
      "the published commit ccccccc is on ddddddd, not on the attempt's base bbbbbbb",
    ]);
  });

  it('a later attempt that published nothing never lands an earlier attempt’s commit', () => {
    const { send } = started();
    let s = send(ev.taskFinished({ taskId: 'T1', published: { sha: SHA, parent: BASE } }));
    const n = owed(s, 'land-task')[0]!.n;
    send(
      ev.landingResult({
        taskId: 'T1',
        landing: n,
        result: { kind: 'refused', problems: ['x'] },
      }),
    );
    s = send({
      type: 'recovery.proposed',
      at: 0,
      taskId: 'T1',
      attempt: 1,
      rootCause: 'r',
      action: { kind: 'retry', guidance: 'g' },
    });
    expect(s.tasks.at(0)).toMatchObject({ status: 'running', attempt: 2 });
    s = send(ev.taskFinished({ taskId: 'T1', attempt: 2 }));
    const land = owed(s, 'land-task')[0]!;
    expect(land).toMatchObject({ taskId: 'T1', attempt: 2 });
    expect(land.sha).toBeUndefined();
  });
});

describe('every refusal is explained', () => {
  it('a refusal at landing fails the attempt with what did not match, for recovery and the PR', () => {
    const { send } = started();
    let s = send(ev.taskFinished({ taskId: 'T1', published: { sha: SHA, parent: BASE } }));
    const problems = [
      '.github/actions/build/action.yml: blocked by `blockedPaths` in .github/gantry.yml',
      'package.json: blocked by `blockedPaths` in .github/gantry.yml',
    ];
    s = send(
      ev.landingResult({
        taskId: 'T1',
        landing: owed(s, 'land-task')[0]!.n,
        result: { kind: 'refused', problems },
      }),
    );
    const t = s.tasks.at(0)!;
    expect(t.status).toBe('failed');
    // The task line has room for one problem; recovery gets them all.
    expect(t.reason).toBe(`not landed: ${problems[0]} (and 1 more)`);
    expect(owed(s, 'ask-recovery')[0]!.failure).toMatchObject({
      kind: 'agent',
      refused: problems,
    });
    expect(s.failures).toEqual([{ taskId: 'T1', attempt: 1, reason: t.reason }]);
    expect(s.outcomes).toEqual([{ taskId: 'T1', attempt: 1, ok: false }]);
  });

  it('a publish refusal and the failed criteria reach the recovery planner’s input', () => {
    const { send } = started();
    const s = send(
      ev.taskFinished({
        taskId: 'T1',
        outcome: 'failure',
        summary: 'the publish policy refused the patch',
        refused: ['.gitmodules: submodules cannot be added by a task'],
        failedCriteria: ['criterion 0 (command): `npm test` exited 1'],
      }),
    );
    expect(s.tasks.at(0)!.reason).toBe(
      'the publish policy refused the patch: .gitmodules: submodules cannot be added by a task',
    );
    expect(owed(s, 'ask-recovery')[0]!.failure).toEqual({
      kind: 'agent',
      detail:
        'the publish policy refused the patch: .gitmodules: submodules cannot be added by a task',
      refused: ['.gitmodules: submodules cannot be added by a task'],
      failedCriteria: ['criterion 0 (command): `npm test` exited 1'],
    });
  });

  it('what the state keeps of a failure is bounded: it lives in the plan comment', () => {
    const { send } = started(50);
    let s = send(
      ev.taskFinished({
        taskId: 'T1',
        outcome: 'failure',
        failedCriteria: Array.from({ length: 30 }, (_, i) => `criterion ${i}: ${'x'.repeat(500)}`),
      }),
    );
    const kept = owed(s, 'ask-recovery')[0]!.failure.failedCriteria!;
    expect(kept).toHaveLength(10);
    expect(Math.max(...kept.map((c) => c.length))).toBe(200);
    for (let a = 1; a <= 25; a++) {
      if (a > 1) {
        send(
          ev.taskFinished({ taskId: 'T1', attempt: a, outcome: 'failure', summary: `try ${a}` }),
        );
      }
      s = send({
        type: 'recovery.proposed',
        at: 0,
        taskId: 'T1',
        attempt: a,
        rootCause: 'r',
        action: { kind: 'retry', guidance: 'g' },
      });
    }
    expect(s.failures).toHaveLength(20);
    expect(s.failures!.at(-1)).toMatchObject({
      attempt: 25,
      reason: 'agent run ended failure: try 25',
    });
  });

  it('a retry tells the next attempt what failed in the last one, after the guidance', () => {
    const { send } = started();
    send(
      ev.taskFinished({
        taskId: 'T1',
        outcome: 'failure',
        failedCriteria: ['criterion 0 (command): `npm test` exited 1\nnot ok 1'],
      }),
    );
    const s = send({
      type: 'recovery.proposed',
      at: 0,
      taskId: 'T1',
      attempt: 1,
      rootCause: 'The test imports the wrong module.',
      action: { kind: 'retry', guidance: 'Import from src/greet.' },
    });
    const t = s.tasks.at(0)!;
    expect(t).toMatchObject({ status: 'running', attempt: 2 });
    expect(t.guidance).toBe(
      'The test imports the wrong module.\n\nImport from src/greet.\n\nWhat failed in the last attempt:\n- criterion 0 (command): `npm test` exited 1',
    );
    expect(owed(s, 'dispatch-task')[0]!.guidance).toBe(t.guidance);
  });

  it('the pull request lists each failed or refused attempt with its reason in its task row, made inert', () => {
    const { s } = started();
    const body = renderPrBody({
      ...s,
      failures: [
        { taskId: 'T1', attempt: 1, reason: 'not landed: src/x.ts: blocked; ping @octocat' },
        {
          taskId: 'T1',
          attempt: 2,
          reason: 'agent run ended failure: <!-- gantry:plan --> npm test | failed',
        },
      ],
    });
    const row = body.split('\n').find((l) => l.startsWith('| **T1**'))!;
    expect(row).toContain(
      [
        '| 1<br>attempt 1: not landed: src/x.ts: blocked; ping @\u2060octocat',
        'attempt 2: agent run ended failure: &lt;!-- gantry:plan --&gt; npm test \\| failed |',
      ].join('<br>'),
    );
    expect(body.split('\n').find((l) => l.startsWith('| **T2**'))).not.toContain('attempt 1:');
  });
});

describe("the pull request's Landed column", () => {
  it('links the commit a done task landed as and its CI, says "no change" for a task done without one, and shows no commit taken back by red CI', () => {
    const { s } = started();
    const sha = 'ab12cd3'.padEnd(40, '0');
    const [t1, t2] = s.tasks.toArray();
    const cells = (second: Partial<TaskRun>) => {
      const body = renderPrBody({
        ...s,
        tasks: PersistentList.from([
          { ...t1!, status: 'done', landedSha: sha },
          { ...t2!, ...second },
        ]),
      });
      return ['T1', 'T2'].map(
        (id) =>
          body
            .split('\n')
            .find((l) => l.startsWith(`| **${id}**`))!
            .split(' | ')[3],
      );
    };
    const repo = `https://github.com/${s.repo}`;
    expect(cells({ status: 'done', landedSha: undefined })).toEqual([
      `[ab12cd3](${repo}/commit/${sha}) ([CI](${repo}/commit/${sha}/checks))`,
      'no change',
    ]);
    expect(cells({ status: 'queued', landedSha: 'e'.repeat(40) })[1]).toBe('–');
  });
});
