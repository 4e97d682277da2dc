import { describe, expect, it } from 'vitest';
import { PlannerConfigError } from '../../src/planner/errors.js';
import type { Planner } from '../../src/planner/planner.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { appHarness, DIAMOND } from '../support/app-harness.js';

const start = appHarness();

function failingPlanner(error: Error): Planner {
  const unused = () => Promise.reject(new Error('unused'));
  return {
    label: 'Anthropic claude-opus-5-5',
    plan: () => Promise.reject(error),
    recover: unused,
    extractKnowledge: unused,
    review: unused,
    estimate: () => {
      throw new Error('unused');
    },
  };
}

describe('labeling an issue', () => {
  it('posts a planning comment, replaces it with the plan and sets the label', async () => {
    const h = await start();
    h.github.config = 'rigor: L1\n';
    await h.deliver('issues', h.github.label('gantry'));
    const comments = h.github.botComments();
    expect(comments).toHaveLength(1);
    await expect(comments[0]!.body).toMatchFileSnapshot('__snapshots__/plan-comment.posted.md');
    const s = h.state();
    expect(s.status).toBe('awaiting-approval');
    expect(s.plan?.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(h.github.issue().labels).toEqual(['gantry', 'gantry:awaiting-approval']);
    // The planning comment was posted first, then edited into the plan.
    expect(h.github.writes()).toEqual(['createComment', 'updateComment', 'addLabels']);
    expect(h.github.botComments()[0]!.id).toBe(9000);
  });

  it('ignores another label after reading only the config', async () => {
    const h = await start();
    await h.deliver('issues', h.github.label('bug'));
    expect(h.github.calls).toEqual(['readConfig']);
  });

  it('uses the label the config names', async () => {
    const h = await start();
    h.github.config = 'label: ai-task\n';
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.github.botComments()).toHaveLength(0);
    await h.deliver('issues', h.github.label('ai-task'));
    expect(h.state().status).toBe('awaiting-approval');
  });

  it('answers an invalid config with one comment quoting the error and the allowed keys', async () => {
    const h = await start();
    h.github.config = 'label: gantry\nmaxParalel: 3\n';
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issues', h.github.label('gantry'));
    const comments = h.github.botComments();
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('`(file)`: Unrecognized key: "maxParalel"');
    expect(comments[0]!.body).toContain('Allowed top-level keys:');
    expect(h.github.issue().labels).toEqual(['gantry']);
  });

  it('reports a config file that is not YAML as a config problem', async () => {
    const h = await start();
    h.github.config = 'label: [gantry\n';
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.github.botComments()[0]!.body).toContain('`.github/gantry.yml` is invalid');
  });

  it('shows a planner failure in the comment, with what to do', async () => {
    const h = await start();
    h.planner = failingPlanner(
      new PlannerConfigError(
        '401',
        'The Anthropic API refused the API key (401). Set `ANTHROPIC_API_KEY` in the Gantry app environment to a valid key.',
      ),
    );
    await h.deliver('issues', h.github.label('gantry'));
    const body = h.plan().body;
    expect(body).toContain('❌ failed');
    expect(body).toContain('> The Anthropic API refused the API key (401).');
    expect(body).toContain('Then comment `/gantry replan`.');
    expect(h.github.issue().labels).toEqual(['gantry']);
  });

  it('says how to add the task workflow when the repository has none', async () => {
    const h = await start();
    h.github.files.delete('.github/workflows/gantry-task.yml');
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('awaiting-approval');
    const hint = h.github.botComments().find((c) => c.body.includes('needs its task workflow'));
    expect(hint?.body).toContain('`.github/workflows/gantry-task.yml` is not on `master`');
  });

  it('goes straight to running under the auto policy when the issue has the auto label', async () => {
    const h = await start();
    h.github.config = 'approval: { policy: auto }\n';
    h.github.label('gantry:auto', 'maint'); // its webhook changes nothing: not the trigger label
    await h.deliver('issues', h.github.label('gantry'));
    const s = h.state();
    expect(s.status).toBe('running');
    expect(s.startedBy).toBeUndefined();
    expect(s.goalHead).toBe(h.github.head);
    expect(h.github.issue().labels).toContain('gantry:running');
    expect(h.plan().body).toContain('(started by auto-approval)');
  });

  it.each(['labeler[bot]', 'triager'])(
    'does not auto-start when %s added the auto label',
    async (who) => {
      const h = await start();
      h.github.roles.triager = 'triage';
      h.github.config = 'approval: { policy: auto }\n';
      h.github.label('gantry:auto', who);
      await h.deliver('issues', h.github.label('gantry'));
      expect(h.state().status).toBe('awaiting-approval');
      expect(h.github.botComments().at(-1)?.body).toBe(
        `Auto-approval did not start the goal: the \`gantry:auto\` label was added by @${who}, not by a person with write access; tick the tasks to run and **Start**.`,
      );
    },
  );

  it('tells an empty repository from a planner failure', async () => {
    const h = await start();
    h.github.failNext('listFiles', 409);
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('failed');
    expect(h.plan().body).toContain(
      '> Gantry could not read the repository to plan this issue (409: injected 409).',
    );
  });

  it('tries again after a GitHub failure, without losing the work', async () => {
    const h = await start();
    h.github.failNext('listLanguages', 502);
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('awaiting-approval');
  });

  it('waits for approval under the auto policy when the auto label is missing', async () => {
    const h = await start();
    h.github.config = 'approval: { policy: auto }\n';
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('awaiting-approval');
  });
});

describe('a plan written in the issue', () => {
  const written = (yaml: string) => `Greet people.\n\n\`\`\`gantry-plan\n${yaml}\n\`\`\`\n`;

  it('is the plan, the planner filling only what it leaves out; the maintainer still approves', async () => {
    const h = await start();
    h.github.issue().body = written(
      [
        '- { id: T1, title: Add greet() the way we like it, scope: [src/greet.ts] }',
        '- id: T2',
        '  title: Test greet()',
        '  dependsOn: [T1]',
        '  criteria: [{ kind: command, run: npm run test:greet }]',
      ].join('\n'),
    );
    await h.deliver('issues', h.github.label('gantry'));
    const s = h.state();
    expect(s.status).toBe('awaiting-approval');
    expect(s.tasks.map((t) => t.status)).toEqual(['proposed', 'proposed']);
    expect(s.plan!.tasks).toEqual([
      {
        id: 'T1',
        title: 'Add greet() the way we like it',
        description: 'Create src/greet.ts.',
        dependsOn: [],
        tier: 'small',
        scope: ['src/greet.ts'],
        criteria: [{ kind: 'file', path: 'src/greet.ts', exists: true }],
        estimate: 10,
      },
      {
        id: 'T2',
        title: 'Test greet()',
        description: 'Add tests.',
        dependsOn: ['T1'],
        tier: 'small',
        scope: ['test/'],
        criteria: [{ kind: 'command', run: 'npm run test:greet' }],
        estimate: 10,
      },
    ]);
    expect(h.github.botComments().at(-1)!.body).toBe(
      'Gantry took the plan from the `gantry-plan` block in the issue. The planner filled in only what it left out: T1 (description, tier, criteria, estimate); T2 (description, tier, scope, estimate). Review the tasks in the plan comment and tick the ones to run.',
    );
  });

  it('an invalid one fails the plan with each problem named by task and field', async () => {
    const h = await start();
    h.github.issue().body = written(
      '- { id: T1, title: A, tier: enormous }\n- { id: T2, title: B, dependsOn: [T5] }',
    );
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('failed');
    expect(h.state().note).toBe(
      [
        'The plan written in the issue (its `gantry-plan` block) is invalid:',
        '- T1.tier: Invalid option: expected one of "small"|"medium"|"large"',
        '',
        'Fix the block in the issue body.',
        '',
        'Then comment `/gantry replan`.',
      ].join('\n'),
    );
  });
});

describe('what planning costs', () => {
  it('is spent from the goal budget', async () => {
    const h = await start();
    const scripted = await ScriptedPlanner.fromFile(DIAMOND);
    h.planner = {
      label: scripted.label,
      plan: async (req) => {
        const r = await scripted.plan(req);
        return { ...r, calls: r.calls.map((c) => ({ ...c, costUsd: 0.037 })) };
      },
      recover: (req) => scripted.recover(req),
      extractKnowledge: (req) => scripted.extractKnowledge(req),
      review: (req) => scripted.review(req),
      estimate: (p) => scripted.estimate(p),
    };
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().budget.spentMicros).toBe(37_000);
    expect(h.plan().body).toContain('$0.037 spent of $25.00');
  });
});
