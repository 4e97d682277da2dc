import { describe, expect, it } from 'vitest';
import { planFitsComment } from '../../src/core/checklist/fits-comment.js';
import { PLAN_LIMITS } from '../../src/core/plan.js';
import { validatePlan } from '../../src/core/validate-plan.js';
import { plan, task } from '../support/plans.js';

const problems = (input: unknown) => {
  const r = validatePlan(input, [planFitsComment]);
  return r.ok
    ? []
    : r.error.problems.map((p) => ({ code: p.code, taskId: p.taskId, message: p.message }));
};

describe('validatePlan', () => {
  it('accepts a valid plan', () => {
    expect(validatePlan(plan([task('T1'), task('T2', ['T1'])]), [planFitsComment]).ok).toBe(true);
  });

  it('refuses duplicate ids, unknown and self dependencies, all at once, naming each task', () => {
    expect(problems(plan([task('T1'), task('T1'), task('T2', ['T9', 'T2'])]))).toEqual([
      {
        code: 'duplicate-id',
        taskId: 'T1',
        message: 'T1 is used by tasks 0 and 1; every task needs its own id',
      },
      {
        code: 'unknown-dependency',
        taskId: 'T2',
        message: 'T2 depends on T9, which is not in the plan',
      },
      { code: 'self-dependency', taskId: 'T2', message: 'T2 depends on itself' },
    ]);
  });

  it('quotes the cycle path', () => {
    expect(
      problems(plan([task('T1'), task('T2', ['T4']), task('T3'), task('T4', ['T2'])])),
    ).toEqual([{ code: 'cycle', taskId: 'T2', message: 'dependency cycle: T2 -> T4 -> T2' }]);
  });

  it('refuses empty plans and plans above the documented size', () => {
    expect(problems(plan([]))[0]!.code).toBe('empty');
    const many = Array.from({ length: PLAN_LIMITS.tasks + 1 }, (_, i) => task(`T${i + 1}`));
    expect(problems(plan(many)).map((p) => p.code)).toContain('too-many-tasks');
  });

  it('refuses a plan whose comment would not fit GitHub, and says what to do', () => {
    const long = 'x'.repeat(PLAN_LIMITS.taskDescriptionChars);
    const tasks = Array.from({ length: PLAN_LIMITS.tasks }, (_, i) =>
      task(`T${i + 1}`, [], {
        description: `${i}${long}`.slice(0, 2000),
        title: `A rather long task title number ${i} that goes on and on for a while`.slice(0, 100),
      }),
    );
    // Descriptions are compressible text, so make them differ enough to defeat deflate.
    tasks.forEach(
      (t, i) =>
        (t.description = Array.from({ length: 150 }, (_, k) =>
          ((i * 7919 + k * 104729) % 1_000_003).toString(36),
        )
          .join(' ')
          .slice(0, 2000)),
    );
    const found = problems(plan(tasks));
    expect(found).toEqual([
      {
        code: 'too-large',
        taskId: undefined,
        message: expect.stringMatching(
          /GitHub allows 65536 .* use fewer tasks, or shorter descriptions and criteria/,
        ),
      },
    ]);
  });

  it('accepts 200 tasks with short descriptions: the size check measures the smallest comment', () => {
    // With descriptions this short the full comment is just under 65,536 characters, so only a
    // check of the smallest form (no picture, no descriptions) leaves the required margin.
    const tasks = Array.from({ length: 200 }, (_, i) =>
      task(`T${i + 1}`, i === 0 ? [] : [`T${i}`], {
        title: `Implement part ${i} of the feature`,
        description: `Change module ${i} and test it.`,
      }),
    );
    expect(problems(plan(tasks))).toEqual([]);
  });

  it('explains schema problems with the task id and field', () => {
    const bad = plan([task('T1', [], { tier: 'huge' as never, title: 'two\nlines' })]);
    const r = validatePlan(bad);
    expect(r.ok).toBe(false);
    const msg = r.ok ? '' : r.error.message;
    expect(msg).toContain('tasks.0.tier: T1:');
    expect(msg).toContain('tasks.0.title: T1: must be a single line');
  });

  it('needs the extras of the rigor level', () => {
    expect(problems(plan([task('T1')], { rigor: 'L2' })).map((p) => p.message)).toEqual([
      "rigor L2 plans need 'phases'",
      "rigor L2 plans need 'openQuestions'",
    ]);
    const l3 = plan([task('T1')], {
      rigor: 'L3',
      phases: [{ name: 'One', tasks: ['T1', 'T5'] }],
      openQuestions: [],
    });
    expect(problems(l3).map((p) => p.message)).toEqual([
      "rigor L3 plans need 'risks'",
      "rigor L3 plans need 'testStrategy'",
    ]);
    const ok = { ...l3, risks: [{ risk: 'r', mitigation: 'm' }], testStrategy: 'unit tests' };
    expect(problems(ok)).toEqual([
      {
        code: 'unknown-phase-task',
        taskId: 'T5',
        message: 'phase "One" lists T5, which is not in the plan',
      },
    ]);
  });
});
