import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  completeIssuePlan,
  missingFields,
  needsPlanner,
  readIssuePlan,
  type DraftTask,
} from '../../src/planner/issue-plan.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { plan, task } from '../support/plans.js';

const fence = (yaml: string) => `Please do this.\n\n\`\`\`gantry-plan\n${yaml}\n\`\`\`\n\nThanks!`;

const WRITTEN = `- id: T1
  title: Add greet()
  criteria:
    - { kind: command, run: npm test }
- id: T2
  title: Document greet()
  dependsOn: [T1]
  tier: small
  scope: [README.md]`;

const read = (body: string) => {
  const r = readIssuePlan(body);
  if (!r?.ok) throw new Error(JSON.stringify(r));
  return r.tasks;
};
const problems = (body: string) => {
  const r = readIssuePlan(body);
  if (r?.ok !== false) throw new Error(`expected problems, got ${JSON.stringify(r)}`);
  return r.problems;
};

describe('a plan written in the issue', () => {
  it('is the fenced gantry-plan block, a YAML list of tasks; other blocks are not', () => {
    expect(readIssuePlan('Just text.\n\n```yaml\n- id: T1\n```')).toBeUndefined();
    const tasks = read(fence(WRITTEN));
    expect(tasks).toEqual([
      {
        id: 'T1',
        title: 'Add greet()',
        dependsOn: [],
        criteria: [{ kind: 'command', run: 'npm test' }],
      },
      {
        id: 'T2',
        title: 'Document greet()',
        dependsOn: ['T1'],
        tier: 'small',
        scope: ['README.md'],
      },
    ]);
    expect(missingFields(tasks)).toEqual([
      { id: 'T1', fields: ['description', 'tier', 'scope', 'estimate'] },
      { id: 'T2', fields: ['description', 'criteria', 'estimate'] },
    ]);
    expect(needsPlanner(tasks, 'L1')).toBe(true);
  });

  it('names the task and field of each problem', () => {
    expect(
      problems(fence('- id: T1\n  title: A\n  tier: huge\n  estimat: 5\n- id: T2\n  criteria: []')),
    ).toEqual([
      'T1.tier: Invalid option: expected one of "small"|"medium"|"large"',
      'T1: Unrecognized key: "estimat"',
      'T2.title: Invalid input: expected string, received undefined',
      'T2.criteria: Too small: expected array to have >=1 items',
    ]);
    expect(problems(fence('- id: T1\n  title: A\n  dependsOn: [T9]'))).toEqual([
      'T1.dependsOn.0: T1 depends on T9, which is not in the plan',
    ]);
    expect(
      problems(
        fence('- { id: T1, title: A, dependsOn: [T2] }\n- { id: T2, title: B, dependsOn: [T1] }'),
      ),
    ).toEqual([expect.stringMatching(/^T\d\.dependsOn: .*cycle/)]);
    expect(problems(fence('- { id: T1, title: A }\n- { id: T1, title: B }'))).toEqual([
      'T1.id: T1 is used by tasks 0 and 1; every task needs its own id',
    ]);
    expect(problems(fence('- title: no id'))).toEqual([
      'task 1.id: Invalid input: expected string, received undefined',
    ]);
  });

  it('refuses a block that is not a list, not YAML, hidden, or given twice', () => {
    expect(problems(fence('tasks: []'))[0]).toMatch(
      /^the block: Invalid input: expected array, received object \(the block holds a YAML list of tasks/,
    );
    expect(problems(fence('- id: T1\n  title: [unclosed'))[0]).toMatch(
      /^the block is not valid YAML: /,
    );
    expect(problems(fence('- { id: T1, title: "A\u202Eevil" }'))).toEqual([
      'the block contains invisible characters (zero-width, bidi or tag characters) that would hide text from the person approving; remove them',
    ]);
    expect(
      problems(`${fence('- { id: T1, title: A }')}\n${fence('- { id: T2, title: B }')}`),
    ).toEqual(['the issue has 2 `gantry-plan` blocks; keep one']);
  });
});

describe('completing a written plan', () => {
  const goal = { title: 'Greet', body: '' };

  it("keeps every field the person wrote and takes only the missing ones from the planner's tasks", () => {
    const tasks = read(fence(WRITTEN));
    const planned = plan([
      task('T1', [], {
        title: 'Model title',
        tier: 'large',
        criteria: [{ kind: 'command', run: 'rm -rf /' }],
      }),
      task('T2', [], {
        criteria: [{ kind: 'grep', pattern: 'greet', in: 'README.md', present: true }],
      }),
      task('T3', ['T1'], { title: 'A task the model made up' }),
    ]);
    const r = completeIssuePlan({ tasks, goal, rigor: 'L1', planned });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    expect(r.plan.tasks).toEqual([
      {
        id: 'T1',
        title: 'Add greet()',
        description: 'Do the work of T1.',
        dependsOn: [],
        tier: 'large',
        scope: ['src/'],
        criteria: [{ kind: 'command', run: 'npm test' }],
        estimate: 10,
      },
      {
        id: 'T2',
        title: 'Document greet()',
        description: 'Do the work of T2.',
        dependsOn: ['T1'],
        tier: 'small',
        scope: ['README.md'],
        criteria: [{ kind: 'grep', pattern: 'greet', in: 'README.md', present: true }],
        estimate: 10,
      },
    ]);
  });

  it("takes the requirements and each task's covers from the planner; a person cannot write covers", () => {
    const tasks = read(fence(WRITTEN));
    const planned = plan(
      [
        task('T1', [], { covers: [1] }),
        task('T2', [], { covers: [2] }),
        task('T3', [], { covers: [3] }),
      ],
      { requirements: ['greet() exists', 'greet() is documented', 'made up'] },
    );
    const r = completeIssuePlan({ tasks, goal, rigor: 'L1', planned });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    expect(r.plan.requirements).toEqual(['greet() exists', 'greet() is documented', 'made up']);
    expect(r.plan.tasks.map((t) => t.covers)).toEqual([[1], [2]]);
    expect(problems(fence(`- id: T1\n  title: Add greet()\n  covers: [1]`))).toEqual([
      expect.stringContaining('covers'),
    ]);
  });

  it('names what the planner left unfilled', () => {
    const tasks = read(fence(WRITTEN));
    const r = completeIssuePlan({ tasks, goal, rigor: 'L1', planned: plan([task('T1')]) });
    expect(r).toEqual({
      ok: false,
      problems: [
        'the planner did not fill T2.description, T2.criteria, T2.estimate; write them in the `gantry-plan` block',
      ],
    });
  });

  it('needs no planner when nothing is missing at rigor L1', () => {
    const full: DraftTask[] = [task('T1')];
    expect(needsPlanner(full, 'L1')).toBe(false);
    expect(needsPlanner(full, 'L2')).toBe(true);
    const r = completeIssuePlan({ tasks: full, goal, rigor: 'L1' });
    expect(r.ok && r.plan.tasks).toEqual(full);
  });

  it('the scripted planner fills what is missing offline, from its task of the same id or the test command', async () => {
    const p = await ScriptedPlanner.fromFile(
      join(import.meta.dirname, '../fixtures/planner/diamond.yml'),
    );
    const draft = read(fence(`${WRITTEN}\n- { id: T7, title: Extra, dependsOn: [T2] }`));
    const { value } = await p.plan({
      issue: { number: 1, title: 'Greet', body: '' },
      repo: { fullName: 'o/r', tree: [], testCommand: 'npm run check' },
      rigor: 'L1',
      draft,
    });
    const r = completeIssuePlan({ tasks: draft, goal, rigor: 'L1', planned: value });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const [t1, t2, t7] = r.plan.tasks;
    expect(t1).toMatchObject({
      title: 'Add greet()',
      description: 'Create src/greet.ts.',
      scope: ['src/'],
    });
    expect(t2!.criteria).toEqual([{ kind: 'command', run: 'npm test' }]);
    expect(t7).toMatchObject({
      dependsOn: ['T2'],
      criteria: [{ kind: 'command', run: 'npm run check' }],
      description: '[scripted] filled in by the script',
    });
  });
});
