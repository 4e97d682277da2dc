/**
 * `npm run demo -- --repo` on three repositories it has never seen, kept as fixtures under
 * test/fixtures/demo-repos/: a JavaScript library with a lockfile, a Python project with pytest,
 * and a repository with nested folders, names with spaces, a binary file and its own
 * `.github/gantry.yml`. Each is copied, committed and run as a user would run it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { sh } from '../support/git-repo.js';

const FIXTURES = join(GANTRY_DIR, 'test/fixtures/demo-repos');
const ID = ['-c', 'user.name=Test', '-c', 'user.email=t@example.com'];
const STACK = /^\s+at /m;

/** Every file of a directory tree (relative paths) with its bytes. */
function files(dir: string, under = dir): Map<string, Buffer> {
  const all = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === '.git') continue;
    if (statSync(path).isDirectory()) for (const [k, v] of files(path, under)) all.set(k, v);
    else all.set(relative(under, path), readFileSync(path));
  }
  return all;
}

/** A copy of the fixture's repository, `git init`ed with one commit on main; and its head. */
function repoOf(name: string): { dir: string; head: string; scripts: string } {
  const dir = join(mkdtempSync(join(tmpdir(), `demo-fixture-${name}-`)), name);
  cpSync(join(FIXTURES, name, 'repo'), dir, { recursive: true });
  sh(dir, 'init', '-q', '--initial-branch=main');
  sh(dir, 'add', '--all');
  sh(dir, ...ID, 'commit', '-q', '-m', `${name}: as the user has it`);
  return { dir, head: sh(dir, 'rev-parse', 'HEAD').trim(), scripts: join(FIXTURES, name) };
}

/** `npm run demo -- ...args`, typed in `cwd`, offline; its exit code and output. */
async function demo(cwd: string, ...args: string[]) {
  const r = await promisify(execFile)(
    'npm',
    ['--prefix', GANTRY_DIR, 'run', '--silent', 'demo', '--', ...args],
    { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ANTHROPIC_API_KEY: '' } },
  ).then(
    (x) => ({ code: 0, ...x }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the demo on a fixture and checks what every run must show; the kept result. */
async function runFixture(name: string, goal: string, ...extra: string[]) {
  const repo = repoOf(name);
  const before = files(repo.dir);
  const out = mkdtempSync(join(tmpdir(), `demo-out-${name}-`));
  const r = await demo(
    repo.dir,
    '--repo',
    '.',
    '--goal',
    goal,
    '--plan',
    join(repo.scripts, 'plan.yml'),
    '--agent',
    join(repo.scripts, 'agent.json'),
    '--out',
    out,
    ...extra,
  );
  expect(r.stderr).not.toMatch(STACK);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toMatch(/^Goal: done\. (\d+) of \1 tasks landed/m);
  expect(r.stdout).toContain('Requests GitHub would have refused: 0.');
  expect(r.stdout).toMatch(/Pull request: #\d+ ready for review, CI on its head: success\./);
  // CI judged the base before the first landing, and every landing: all green.
  expect(r.stdout).toMatch(/CI +green on [0-9a-f]{7} \(success\)\n/);
  expect(r.stdout).toMatch(/CI +green on [0-9a-f]{7} \(success\) for T1/);
  expect(r.stdout).not.toMatch(/CI +red/);

  // The original is untouched: same commit, clean, the same bytes in every file.
  expect(sh(repo.dir, 'rev-parse', 'HEAD').trim()).toBe(repo.head);
  expect(sh(repo.dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  expect(files(repo.dir)).toEqual(before);
  expect(files(join(FIXTURES, name, 'repo'))).toEqual(before);

  const patch = /(\S+\.patch): the whole change as one commit/.exec(r.stdout)?.[1];
  const bundle = /(\S+\.bundle): the goal branch (\S+) as a git bundle/.exec(r.stdout);
  expect(patch?.startsWith(out) && bundle?.[1]?.startsWith(out)).toBe(true);
  const page = readFileSync(join(out, 'index.html'), 'utf8');
  return { repo, out: r.stdout, page, patch: patch!, bundle: bundle![1]!, branch: bundle![2]! };
}

/** A clone of the original with the kept patch applied by `git am`; its directory. */
function applied(repo: { dir: string }, patch: string): string {
  const clone = mkdtempSync(join(tmpdir(), 'demo-fixture-am-'));
  sh(clone, 'clone', '-q', repo.dir, '.');
  sh(clone, ...ID, 'am', '-q', patch);
  expect(sh(clone, 'status', '--porcelain')).toBe('');
  return clone;
}

describe('npm run demo -- --repo on repositories it has never seen', () => {
  it('a JavaScript library with a lockfile: npm ci from it, then its tests', async () => {
    const agent = JSON.parse(readFileSync(join(FIXTURES, 'js-lib/agent.json'), 'utf8')) as {
      T1: [{ write: Record<string, string> }];
    };
    const r = await runFixture('js-lib', 'Add a maxLength option to slugify');
    expect(r.out).toContain(
      "CI runs `npm ci --ignore-scripts --no-audit --no-fund && npm test`: the test script of the repository's package.json, after its dependencies are installed from its package-lock.json.",
    );
    // Its tests import a dev dependency of the lockfile: CI is green on the base and on the
    // landing (runFixture) only because it ran `npm ci` from the lockfile first; the agent ran it
    // too, as an agent sets up its checkout, so that its criterion `npm test` could pass.
    // The pull request's diff is the agent's change.
    expect(r.page).toContain('<h2>Commits</h2>\n<h3>T1</h3>');
    expect(r.page).toContain(
      '<span class="add">+export function slugify(title, { maxLength = Infinity } = {}) {</span>',
    );
    const text = readFileSync(r.patch, 'utf8');
    expect(text).toContain("+test('maxLength cuts at a word boundary', () => {");

    // The patch applies to the original with git am, and gives exactly what the agent wrote.
    const clone = applied(r.repo, r.patch);
    for (const [path, content] of Object.entries(agent.T1[0].write))
      expect(readFileSync(join(clone, path), 'utf8')).toBe(content);
    expect(sh(clone, 'log', '-1', '--format=%s')).toContain(
      'Gantry: Add a maxLength option to slugify',
    );
  });

  it('a Python project with pytest, its test command given with --ci', async () => {
    const r = await runFixture('py-pytest', 'Add median()', '--ci', 'python3 -m pytest -q');
    expect(r.out).toContain('CI runs `python3 -m pytest -q`: given with --ci.');
    // CI ran pytest (the green base and landing, in runFixture); the agent's criterion did too.
    expect(r.out).toContain('`python3 -m pytest -q -p no:cacheprovider` exits 0');
    const text = readFileSync(r.patch, 'utf8');
    expect(text).toContain('+def median(values):');
    expect(text).toContain('+from .median import median');
    expect(text).toContain('+def test_median_even():');
    // Nothing pytest leaves behind is committed.
    expect(text).not.toMatch(/__pycache__|\.pytest_cache|\.pyc\b|\.benchmarks/);
    expect(r.page).toContain('<span class="add">+def median(values):</span>');
    const clone = applied(r.repo, r.patch);
    expect(readFileSync(join(clone, 'stats/median.py'), 'utf8')).toContain('def median(values):');
  });

  it('nested folders, names with spaces, a binary file and its own .github/gantry.yml', async () => {
    const r = await runFixture('nested', 'Add initials()');
    // The repository's own label and test command.
    expect(r.out).toMatch(/maint +labels the issue `ai-please`/);
    expect(r.out).toContain(
      "CI runs `node --test`: the testCommand of the repository's .github/gantry.yml.",
    );
    expect(r.page).toContain('<h3>T1</h3>');
    expect(r.page).toContain('<h3>T2</h3>');
    const text = readFileSync(r.patch, 'utf8');
    expect(text).toContain('src/shared/text/Name Utils/initials.mjs');
    expect(text).toContain('test/unit tests/initials.test.mjs');
    expect(text).toContain('+- `initials(name)`: the first letter of each word');
    expect(text).not.toContain('logo.png');
    expect(text).not.toContain('gantry.yml');

    // The goal branch keeps the binary file byte for byte, and the repository's own config.
    const clone = applied(r.repo, r.patch);
    const png = readFileSync(join(FIXTURES, 'nested/repo/assets/logo.png'));
    expect(readFileSync(join(clone, 'assets/logo.png'))).toEqual(png);
    sh(clone, 'fetch', '-q', r.bundle, `${r.branch}:goal`);
    expect(sh(clone, 'diff', '--stat', 'HEAD', 'goal', '--', 'assets', 'src', 'test', 'docs')).toBe(
      '',
    );
    expect(execFileSync('git', ['-C', clone, 'cat-file', 'blob', 'goal:assets/logo.png'])).toEqual(
      png,
    );
    expect(readFileSync(join(clone, 'docs/user guide/Name Utils.md'), 'utf8')).toContain(
      '`initials(name)`',
    );
  });
});
