import { describe, expect, it } from 'vitest';
import { parsePlanComment } from '../../src/core/checklist/parse.js';
import { renderPrBody } from '../../src/core/checklist/pr-body.js';
import { renderPlanComment } from '../../src/core/checklist/render.js';
import { requirementCoverage } from '../../src/core/checklist/requirements.js';
import { editTask } from '../../src/core/edit-task.js';
import { initGoal, type GoalState } from '../../src/core/goal.js';
import { injectTasks } from '../../src/core/inject-tasks.js';
import { parseTaskEdit } from '../../src/core/parse-task-edit.js';
import type { Plan } from '../../src/core/plan.js';
import { reviveState, type GoalStateJson } from '../../src/core/revive-state.js';
import { step } from '../../src/core/step.js';
import { taskDefinitionHash } from '../../src/core/task-definition.js';
import { validatePlan } from '../../src/core/validate-plan.js';
import { simulate } from '../../src/sim/simulate.js';
import { plan, task } from '../support/plans.js';

const KEY = 'test-signing-key';

/** The diamond with three requirements; R3 is covered by no task. */
const traced = (over: Partial<Plan> = {}): Plan =>
  plan(
    [
      task('T1', [], { covers: [1] }),
      task('T2', ['T1'], { covers: [1, 2] }),
      task('T3', ['T1'], { covers: [2] }),
      task('T4', ['T2', 'T3']),
    ],
    {
      requirements: ['Users can log in', 'Sessions expire after an hour', 'Admins can lock users'],
      ...over,
    },
  );

function proposed(p: Plan): GoalState {
  const at = 1_700_000_000_000;
  const s = initGoal({ repo: 'octo/repo', issue: 42, title: p.goal.title, at });
  return step(s, { type: 'plan.proposed', at, plan: p, version: 1 }).state;
}

describe('requirements in the plan', () => {
  it('refuses a task that covers a requirement the plan does not list', () => {
    const p = traced();
    p.tasks[2] = task('T3', ['T1'], { covers: [2, 4] });
    const r = validatePlan(p);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.problems).toEqual([
        expect.objectContaining({
          code: 'unknown-requirement',
          taskId: 'T3',
          path: 'tasks.2.covers.1',
          message: 'T3 covers requirement 4, but the plan lists only 3 (numbered from 1)',
        }),
      ]);
    const none = validatePlan(plan([task('T1', [], { covers: [1] })]));
    expect(!none.ok && none.error.problems[0]!.message).toBe(
      'T1 covers requirement 1, but the plan lists no requirements',
    );
    // Plans from before requirements were traced stay valid.
    expect(validatePlan(plan([task('T1')])).ok).toBe(true);
  });

  it('keeps covers out of the approved definition: it changes no hash, yet an edit of it is kept', () => {
    const t = task('T1', [], { covers: [1] });
    expect(taskDefinitionHash(t)).toBe(taskDefinitionHash(task('T1')));
    expect(taskDefinitionHash(t)).not.toBe(taskDefinitionHash(task('T1', [], { tier: 'large' })));
    const edited = editTask(t, { taskId: 'T1', covers: [1, 2] });
    expect(edited).not.toBe(t);
    expect(edited.covers).toEqual([1, 2]);
    expect(editTask(t, { taskId: 'T1', covers: [1] })).toBe(t);
    expect(parseTaskEdit('T1', 'covers: [2, 3]')).toEqual({
      ok: true,
      edit: { taskId: 'T1', covers: [2, 3] },
    });
    expect(parseTaskEdit('T1', 'covers: [0]')).toMatchObject({ ok: false });
  });

  it('gives recovery tasks the covers of the task they unblock, unless they name their own', () => {
    const p = injectTasks(traced(), 'T2', [task('T5'), task('T6', [], { covers: [2] })]);
    expect(p.tasks.find((t) => t.id === 'T5')!.covers).toEqual([1, 2]);
    expect(p.tasks.find((t) => t.id === 'T6')!.covers).toEqual([2]);
    expect(validatePlan(p).ok).toBe(true);
    // A task that covers nothing passes nothing on.
    expect(injectTasks(traced(), 'T4', [task('T5')]).tasks.at(-1)!.covers).toBeUndefined();
  });
});

describe('requirements in the plan comment', () => {
  it('lists each requirement with its tasks and flags, before approval, the one no task covers', () => {
    const s = proposed(traced());
    const body = renderPlanComment(s, { key: KEY });
    expect(body).toContain('- **R1** Users can log in · covered by T1, T2');
    expect(body).toContain('- **R2** Sessions expire after an hour · covered by T2, T3');
    expect(body).toContain('- **R3** Admins can lock users · ⚠️ **covered by no task**');
    expect(body).toContain('<details open><summary>Requirements: 3, ⚠️ 1 covered by no task');
    const warning = body.split('\n').find((l) => l.includes('Requirements not covered'))!;
    expect(warning).toMatch(/^> ⚠️ \*\*Requirements not covered:\*\* no task covers \*\*R3\*\*/);
    // The warning comes before the checklist, where the approver ticks.
    expect(body.indexOf(warning)).toBeLessThan(body.indexOf('gantry:task=T1'));
    // Each task's card names what it covers.
    expect(body).toContain('covers R1, R2');
  });

  it('says nothing of requirements for a plan without them, and warns of none when all are covered', () => {
    const old = renderPlanComment(proposed(plan([task('T1')])), { key: KEY });
    expect(old).not.toContain('Requirements');
    const covered = traced();
    covered.tasks[3] = task('T4', ['T2', 'T3'], { covers: [3] });
    const body = renderPlanComment(proposed(covered), { key: KEY });
    expect(body).toContain('<summary>Requirements: 3</summary>');
    expect(body).not.toContain('⚠️ **Requirements not covered');
  });

  it('does not block Start: the maintainer decides, and once started the warning goes', () => {
    let s = proposed(traced());
    s = step(s, {
      type: 'approvals.changed',
      planVersion: 1,
      at: s.now + 1,
      actor: 'maint',
      changes: ['T1', 'T2', 'T3', 'T4'].map((taskId) => ({ taskId, approved: true })),
    }).state;
    s = step(s, {
      type: 'start',
      planVersion: 1,
      baseSha: 'base',
      at: s.now + 1,
      actor: 'maint',
    }).state;
    expect(s.status).toBe('running');
    const body = renderPlanComment(s, { key: KEY });
    expect(body).not.toContain('Requirements not covered');
    // The list still says which one no task covers.
    expect(body).toContain('⚠️ **covered by no task**');
    expect(body).toContain('<details><summary>Requirements: 3, ⚠️ 1 covered by no task');
  });

  it('round-trips: the requirements section leaves ticks, titles, descriptions and state intact', () => {
    // Hostile requirement text: markers, a checkbox, a mention, HTML.
    const p = traced({
      requirements: [
        '- [x] <!-- gantry:task=T1 --> tick me',
        '<!-- gantry:start --> @admin <b>bold</b>',
        '**T2** fake <!-- /gantry:title -->',
      ],
    });
    expect(validatePlan(p).ok).toBe(false); // HTML comments are refused in the plan already
    const safe = traced({
      requirements: ['- [x] tick me', '@admin <b>bold</b> [ ] box', '**T2** fake title'],
    });
    const s = proposed(safe);
    const body = renderPlanComment(s, { key: KEY });
    expect(body).not.toContain('<b>');
    expect(body).toContain('@\u2060admin');
    const parsed = parsePlanComment(body, KEY);
    expect([...parsed.ticks]).toEqual([
      ['T1', false],
      ['T2', false],
      ['T3', false],
      ['T4', false],
    ]);
    expect(parsed.start).toBe(false);
    expect(parsed.titles.get('T2')).toBe('Task T2');
    expect(parsed.descriptions.get('T1')).toBe('Do the work of T1.');
    expect(parsed.state.ok && parsed.state.state).toEqual(
      reviveState(JSON.parse(JSON.stringify(s)) as GoalStateJson),
    );
    if (parsed.state.ok) expect(renderPlanComment(parsed.state.state, { key: KEY })).toBe(body);
  });
});

describe('requirements in the PR body', () => {
  it('maps each requirement to its tasks, their landed commits and CI', () => {
    const r = simulate({ plan: traced(), taskMs: () => 60_000, ciMs: 30_000 });
    expect(r.state.status).toBe('done');
    const body = renderPrBody(r.state, { serverUrl: 'https://ghe.example.com' });
    const row = body.split('\n').find((l) => l.startsWith('| **R1**'))!;
    const sha = (id: string) =>
      r.state.tasks.at(r.state.plan!.tasks.findIndex((t) => t.id === id))!.landedSha!;
    const link = (id: string) =>
      `[${sha(id).slice(0, 7)}](https://ghe.example.com/sim/repo/commit/${sha(id)}) ([CI](https://ghe.example.com/sim/repo/commit/${sha(id)}/checks))`;
    expect(row).toBe(
      `| **R1** Users can log in | **T1** ✅ done · ${link('T1')}<br>**T2** ✅ done · ${link('T2')} | ✅ met |`,
    );
    expect(body).toContain('| **R3** Admins can lock users | – | ⚠️ covered by no task |');
    expect(body).toContain('⚠️ **Covered by no task:** R3');
    expect(body).not.toContain('**Failed:**');
  });

  it('lists a requirement whose task failed', () => {
    const r = simulate({
      plan: traced(),
      taskMs: () => 60_000,
      ciMs: 30_000,
      agentOutcome: (id) => (id === 'T3' ? 'failure' : 'success'),
      recovery: () => ({ kind: 'escalate', question: 'What now?' }),
    });
    expect(r.state.plan!.tasks.map((_, i) => r.state.tasks.at(i)!.status)).toContain('needs-human');
    const body = renderPrBody(r.state);
    expect(body).toMatch(
      /\| \*\*R2\*\* Sessions expire after an hour \| \*\*T2\*\* .* \| ❌ failed \|/,
    );
    expect(body).toContain('❌ **Failed:** R2 (**T3** 🙋 needs a human)');
    expect(body).toContain('⚠️ **Covered by no task:** R3');
    // R1's tasks are done; it is met.
    expect(body).toMatch(/\| \*\*R1\*\* .* \| ✅ met \|/);
  });

  it('derives coverage from the tasks: uncovered, met, failed, not done, in progress', () => {
    const statuses = ['done', 'excluded', 'running', 'done'] as const;
    const c = requirementCoverage(traced({ requirements: ['a', 'b', 'c'] }), (i) => statuses[i]!);
    expect(c.map((x) => [x.n, x.tasks, x.status])).toEqual([
      [1, [0, 1], 'not-run'],
      [2, [1, 2], 'not-run'],
      [3, [], 'uncovered'],
    ]);
    const d = requirementCoverage(
      traced(),
      (i) => (['done', 'done', 'running', 'done'] as const)[i]!,
    );
    expect(d.map((x) => x.status)).toEqual(['met', 'open', 'uncovered']);
  });
});
