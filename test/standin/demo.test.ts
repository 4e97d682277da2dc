import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DemoError, runDemo, visible } from '../../src/standin/demo-run.js';
import { makeRepo, sh } from '../support/git-repo.js';

describe('npm run demo', () => {
  it('runs the sample goal offline to a ready pull request, with a timeline and an HTML page', async () => {
    const out = mkdtempSync(join(tmpdir(), 'demo-test-'));
    const lines: string[] = [];
    const r = await runDemo({ out, print: (l) => lines.push(l) });
    expect(r).toMatchObject({ status: 'done', landed: 4, tasks: 4, problems: [] });
    // T2's first attempt breaks a test: CI goes red on its candidate, which is dropped (the goal
    // branch never had it), and T2 runs again.
    expect(r.taskRuns).toBe(5);
    expect(r.pull).toEqual({ number: 2, draft: false, ci: 'success' });
    const text = lines.join('\n');
    expect(text).toContain('scripted (offline');
    expect(text).toMatch(/Gantry +posts the plan: T1 Add greet\(\) · T2 Test greet\(\)/);
    expect(text).toContain('- [ ] **T1** Add greet()'); // the plan comment, as shown
    expect(text).toMatch(/maint +ticks T1, T2, T3, T4, Start/);
    expect(text).toMatch(/CI +red on [0-9a-f]{7}/);
    expect(text).toMatch(/Gantry +merges T1 \(attempt 1\) into gantry\/1\/queue\/1 as [0-9a-f]{7}/);
    expect(text).toMatch(/Gantry +fast-forwards gantry\/1-add-a-greeting-module to [0-9a-f]{7}/);
    expect(text).not.toMatch(/Gantry +resets/);
    expect(text).toMatch(/dispatches T2 attempt 2 .*told: \[scripted\] The new test expects/);
    expect(text).toMatch(/Gantry +marks the pull request ready for review/);
    expect(r.webhookMs.length).toBeGreaterThan(10);
    const page = readFileSync(r.page, 'utf8');
    expect(page).toContain('<h1>Gantry: Add a greeting module <span class="num">#2</span></h1>');
    expect(page).toContain('<input type="checkbox" disabled checked>');
    expect(page).toContain('<code class="language-mermaid">flowchart LR');
    expect(page).not.toContain('gantry:state'); // hidden, as on GitHub
  });

  it('says what is missing instead of running a goal it cannot plan offline', async () => {
    const out = join(tmpdir(), 'demo-never');
    await expect(runDemo({ out, repo: '.', goal: 'Add a CLI' })).rejects.toThrow(DemoError);
    await expect(runDemo({ out, goal: 'Add a CLI' })).rejects.toThrow(
      /--goal needs ANTHROPIC_API_KEY/,
    );
    await expect(
      runDemo({ out, repo: tmpdir(), anthropicKey: 'sk-ant-never-used' }),
    ).rejects.toThrow(/is not a git repository/);
    expect(existsSync(out)).toBe(false);
  });

  it('runs a goal on a copy of a local repository with a scripted plan and agent, leaving it as it was', async () => {
    const local = makeRepo({
      'package.json': '{ "type": "module", "scripts": { "test": "node --test" } }\n',
      'test/sum.test.js':
        "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { sum } from '../sum.js';\ntest('sum', () => assert.equal(sum(2, 3), 5));\n",
      'sum.js': 'export const sum = (a, b) => a - b;\n',
      '.github/gantry.yml': 'rules: [Keep functions pure.]\nagent: { maxTurns: 7 }\n',
    });
    const dir = mkdtempSync(join(tmpdir(), 'demo-repo-'));
    const plan = join(dir, 'plan.yml');
    writeFileSync(
      plan,
      stringify({
        plans: [
          {
            goal: { title: 'Fix sum', body: 'sum subtracts.' },
            rigor: 'L1',
            tasks: [
              {
                id: 'T1',
                title: 'Make sum add',
                description: 'Fix sum.js.',
                dependsOn: [],
                tier: 'small',
                criteria: [{ kind: 'command', run: 'node --test' }],
                scope: ['sum.js'],
                estimate: 5,
              },
            ],
          },
        ],
      }),
    );
    const agent = join(dir, 'agent.json');
    writeFileSync(
      agent,
      JSON.stringify({ T1: [{ write: { 'sum.js': 'export const sum = (a, b) => a + b;\n' } }] }),
    );
    const r = await runDemo({
      repo: local.dir,
      goal: 'Fix sum\nIt subtracts.',
      plan,
      agent,
      out: join(dir, 'out'),
      knownRed: true, // the sum test fails on the base: this goal is what fixes it
    });
    expect(r).toMatchObject({ status: 'done', landed: 1, problems: [] });
    expect(r.pull).toEqual({ number: 2, draft: false, ci: 'success' });
    expect(r.timeline.join('\n')).toMatch(/CI +green/);
    // The original repository: untouched.
    expect(sh(local.dir, 'rev-parse', 'HEAD').trim()).toBe(local.base);
    expect(readFileSync(join(local.dir, 'sum.js'), 'utf8')).toContain('a - b');
    // The copy's config kept the repository's own, with the agent and test command set.
    expect(r.config).toMatchObject({
      rules: ['Keep functions pure.'],
      agent: { maxTurns: 7, backend: 'command' },
      testCommand: 'npm test',
    });
    await expect(runDemo({ repo: local.dir, plan, agent, out: dir })).rejects.toThrow(
      /--repo needs --goal/,
    );
    await expect(runDemo({ ci: 'make test', out: dir })).rejects.toThrow(/--ci is for --repo/);
    await expect(runDemo({ repo: local.dir, plan, out: dir })).rejects.toThrow(
      /--plan and --agent go together/,
    );
    await expect(runDemo({ repo: local.dir, plan: agent, agent, out: dir })).rejects.toThrow(
      /^--plan /,
    );
  });

  it('shows a comment as GitHub does: no hidden state, no collapsed details', () => {
    expect(visible('a\n<!-- gantry:state x -->\n\n\n\nb\n<details>\nsecret\n</details>')).toBe(
      'a\n\nb',
    );
  });
});
