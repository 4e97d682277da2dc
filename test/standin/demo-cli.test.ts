import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { sh } from '../support/git-repo.js';
import { sumRepo, task, writePlan } from './demo-script.js';

/** `npm --prefix <gantry> run demo -- ...args`, typed in `cwd`, as a user would. */
function demo(cwd: string, ...args: string[]) {
  const r = spawnSync('npm', ['--prefix', GANTRY_DIR, 'run', '--silent', 'demo', '--', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ANTHROPIC_API_KEY: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK = /^\s+at /m;

describe('`npm --prefix <gantry> run demo` from the caller directory', () => {
  it('refuses what it cannot run with exit 2, the exact message and no stack trace', () => {
    const r0 = sumRepo();
    const plain = mkdtempSync(join(tmpdir(), 'demo-plain-'));
    const script = ['--goal', 'Fix sum', '--plan', r0.plan, '--agent', r0.agent];

    const notGit = demo(plain, '--repo', '.', ...script);
    expect(notGit).toMatchObject({ code: 2 });
    expect(notGit.stderr).toContain(`--repo: ${plain} is not a git repository (no .git there).`);
    expect(notGit.stderr).toContain('Usage: npm run demo'); // an option to change

    const gone = demo(plain, '--repo', 'nowhere', ...script);
    expect(gone).toMatchObject({ code: 2 });
    expect(gone.stderr).toContain(`--repo: ${join(plain, 'nowhere')} does not exist.`);

    const noPlan = demo(
      r0.dir,
      '--repo',
      '.',
      '--goal',
      'x',
      '--plan',
      'p.yml',
      '--agent',
      r0.agent,
    );
    expect(noPlan).toMatchObject({ code: 2 });
    expect(noPlan.stderr.trim()).toBe(`--plan: no such file: ${join(r0.dir, 'p.yml')}`);

    const bad = writePlan(r0.scripts, [task('T1', ['T1'], { estimate: -1 })], 'bad.yml');
    const badPlan = demo(r0.dir, '--repo', '.', '--goal', 'x', '--plan', bad, '--agent', r0.agent);
    expect(badPlan).toMatchObject({ code: 2 });
    expect(badPlan.stderr).toContain('plans.0.tasks.0.estimate');
    expect(badPlan.stderr).toContain('T1 depends on itself');
    expect(badPlan.stderr).not.toContain('Usage:'); // the file is wrong, not the options

    for (const r of [notGit, gone, noPlan, badPlan]) expect(r.stderr).not.toMatch(STACK);
  });

  it('runs `--repo .` on the caller repository, on any branch, and keeps the result there', () => {
    const r0 = sumRepo();
    sh(r0.dir, 'checkout', '-q', '-b', 'feature/sum');
    const head = sh(r0.dir, 'rev-parse', 'HEAD').trim();
    const rel = (p: string) => relative(r0.dir, p);
    const r = demo(
      r0.dir,
      '--repo',
      '.',
      '--goal',
      'Fix sum',
      '--plan',
      rel(r0.plan),
      '--agent',
      rel(r0.agent),
      '--known-red',
    );
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(0);
    // The sum test fails on the base: the demo answers the App's pause as told.
    expect(r.stdout).toContain('the maintainer comments `/gantry resume known-red` (--known-red)');
    expect(r.stdout).toContain(
      `Repository: a copy of ${r0.dir} at ${head.slice(0, 7)}, branch feature/sum`,
    );
    const out = /The result, kept in (\S+):/.exec(r.stdout)?.[1];
    expect(out?.startsWith(join(r0.dir, 'gantry-demo-'))).toBe(true);
    const bundle = /(\S+\.bundle): the goal branch (\S+) as a git bundle/.exec(r.stdout);
    const patch = /(\S+\.patch): the whole change as one commit, a mailbox patch for git am/.exec(
      r.stdout,
    )?.[1];
    expect(bundle && patch && existsSync(bundle[1]!) && existsSync(patch)).toBe(true);

    // The patch applies with `git am` to the commit the copy took; the bundle fetches on it.
    const clone = mkdtempSync(join(tmpdir(), 'demo-apply-'));
    sh(clone, 'clone', '-q', '--branch', 'feature/sum', r0.dir, '.');
    const id = ['-c', 'user.name=Test', '-c', 'user.email=t@example.com'];
    sh(clone, ...id, 'am', '-q', patch!);
    expect(readFileSync(join(clone, 'sum.js'), 'utf8')).toContain('a + b');
    expect(sh(clone, 'log', '-1', '--format=%s')).toContain('Gantry: Fix sum');
    sh(clone, 'fetch', '-q', bundle![1]!, `${bundle![2]}:goal`);
    expect(sh(clone, 'diff', 'HEAD', 'goal', '--', 'sum.js')).toBe('');
    execFileSync('git', ['-C', clone, 'merge-base', '--is-ancestor', head, 'goal']);

    // The page shows the pull request's commits by task and its diff.
    const page = readFileSync(join(out!, 'index.html'), 'utf8');
    expect(page).toContain('<h2>Commits</h2>\n<h3>T1</h3>');
    expect(page).toContain('gantry(T1): Task T1</li>');
    expect(page).toContain('<span class="add">+export const sum = (a, b) =&gt; a + b;</span>');
    // The pull request says the base's red check passes now.
    expect(page).toMatch(/CI was red on the base [0-9a-f]{7} \(<code>test<\/code>\)/);
    expect(page).toContain('They pass now, and judge every landing since.');
    // The original: untouched, on its branch.
    expect(sh(r0.dir, 'rev-parse', 'HEAD').trim()).toBe(head);
    expect(readFileSync(join(r0.dir, 'sum.js'), 'utf8')).toContain('a - b');
  });
});
