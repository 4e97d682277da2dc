import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DemoError, runDemo, visible } from '../../src/standin/demo-run.js';

describe('npm run demo', () => {
  it('runs the sample goal offline to a ready pull request, with a timeline and an HTML page', async () => {
    const out = mkdtempSync(join(tmpdir(), 'demo-test-'));
    const lines: string[] = [];
    const r = await runDemo({ out, print: (l) => lines.push(l) });
    expect(r).toMatchObject({ status: 'done', landed: 4, tasks: 4, problems: [] });
    // T2's first attempt breaks a test: CI goes red, the branch is reset, T2 runs again.
    expect(r.taskRuns).toBe(5);
    expect(r.pull).toEqual({ number: 2, draft: false, ci: 'success' });
    const text = lines.join('\n');
    expect(text).toContain('scripted (offline');
    expect(text).toMatch(/Gantry +posts the plan: T1 Add greet\(\) · T2 Test greet\(\)/);
    expect(text).toContain('- [ ] **T1** Add greet()'); // the plan comment, as shown
    expect(text).toMatch(/maint +ticks T1, T2, T3, T4, Start/);
    expect(text).toMatch(/CI +red on [0-9a-f]{7}/);
    expect(text).toMatch(/Gantry +resets gantry\/1-add-a-greeting-module to/);
    expect(text).toMatch(/dispatches T2 attempt 2 .*told: \[scripted\] The new test expects/);
    expect(text).toMatch(/Gantry +marks the pull request ready for review/);
    expect(r.webhookMs.length).toBeGreaterThan(10);
    const page = readFileSync(r.page, 'utf8');
    expect(page).toContain('<h1>Gantry: Add a greeting module <span class="num">#2</span></h1>');
    expect(page).toContain('<input type="checkbox" checked="" disabled>');
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

  it('shows a comment as GitHub does: no hidden state, no collapsed details', () => {
    expect(visible('a\n<!-- gantry:state x -->\n\n\n\nb\n<details>\nsecret\n</details>')).toBe(
      'a\n\nb',
    );
  });
});
