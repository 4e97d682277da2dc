import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkChange,
  checkPaths,
  clipProblems,
  DEFAULT_BLOCKED,
  DEFAULT_MAX_FILE_BYTES,
  type ChangedEntry,
  type PathPolicy,
} from '../../src/core/path-policy.js';

const policy: PathPolicy = {
  blocked: [...DEFAULT_BLOCKED],
  maxFiles: 200,
  maxPatchBytes: 5 * 1024 * 1024,
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
};
const file = (path: string, bytes = 10): ChangedEntry => ({ path, mode: '100644', bytes });
const link = (path: string, target: string): ChangedEntry => ({
  path,
  mode: '120000',
  target,
  bytes: target.length,
});
const problems = (entries: ChangedEntry[], p: PathPolicy = policy) => {
  const v = checkChange(entries, 100, p);
  return v.ok ? [] : v.problems;
};

describe('the path policy', () => {
  it('passes ordinary files, links inside the tree and deletions', () => {
    expect(
      problems([
        file('src/a.ts'),
        file('.gitignore'),
        file('docs/.github-notes.md'),
        link('d/ok', '../src/a.ts'),
        link('same', './src'),
        { path: 'gone.bin', mode: '000000' },
      ]),
    ).toEqual([]);
  });

  it('refuses a gitlink (a nested `git init`), naming the path and the fix', () => {
    expect(problems([{ path: 'vendor/lib', mode: '160000' }])).toEqual([
      expect.stringMatching(
        /^vendor\/lib: a nested git repository \(a gitlink\).*delete its `\.git`/,
      ),
    ]);
  });

  it('refuses .gitmodules at any depth and paths with a .git component in any case', () => {
    expect(problems([file('.gitmodules'), file('sub/.GITMODULES')])).toEqual([
      expect.stringMatching(/^\.gitmodules: submodules cannot be added/),
      expect.stringMatching(/^sub\/\.GITMODULES: submodules/),
    ]);
    expect(problems([file('a/.git/config'), file('.Git/hooks/pre-commit')])).toEqual([
      expect.stringMatching(/^a\/\.git\/config: a path inside a `\.git` directory/),
      expect.stringMatching(/^\.Git\/hooks\/pre-commit: a path inside a `\.git` directory/),
    ]);
  });

  it('refuses symlinks out of the tree or into .git', () => {
    expect(
      problems([
        link('pw', '/etc/passwd'),
        link('d/up', '../../x'),
        link('hooks', '.git/hooks'),
        link('d/cfg', '../sub/../.git/config'),
        link('d/git', '..//.git'),
      ]),
    ).toEqual([
      'pw: a symlink to /etc/passwd, outside the repository; remove it',
      'd/up: a symlink to ../../x, outside the repository; remove it',
      'hooks: a symlink to .git/hooks, into `.git`; remove it',
      'd/cfg: a symlink to ../sub/../.git/config, into `.git`; remove it',
      'd/git: a symlink to ..//.git, into `.git`; remove it',
    ]);
  });

  it('refuses files over max-file-bytes, and has no size limit without one', () => {
    const big = file('data.bin', DEFAULT_MAX_FILE_BYTES + 1);
    expect(problems([big, file('ok.bin', DEFAULT_MAX_FILE_BYTES)])).toEqual([
      expect.stringMatching(
        /^data\.bin: 1048577 bytes; a file may be at most 1048576 bytes \(the `max-file-bytes` input\)/,
      ),
    ]);
    expect(problems([big], { ...policy, maxFileBytes: undefined })).toEqual([]);
  });

  it('applies max-file-bytes only to files added or grown past it, not to ones already over', () => {
    const max = DEFAULT_MAX_FILE_BYTES;
    const lock = (bytes: number, oldBytes?: number): ChangedEntry => ({
      ...file('package-lock.json', bytes),
      ...(oldBytes === undefined ? {} : { oldBytes }),
    });
    // A 1.5 MB lock file edited, even grown: it was over the limit before the task.
    expect(problems([lock(1.5 * max, 1.5 * max + 10)])).toEqual([]);
    expect(problems([lock(2 * max, 1.5 * max)])).toEqual([]);
    // Newly over: added, grown past the limit, or replacing what was not a file (a gitlink).
    for (const entry of [lock(max + 1), lock(max + 1, max), lock(max + 1, 10)])
      expect(problems([entry])).toEqual([expect.stringMatching(/^package-lock\.json: \d+ bytes/)]);
    expect(problems([lock(max, 10)])).toEqual([]);
  });

  it('lists the problems of the change as a whole first', () => {
    const many = Array.from({ length: 3 }, (_, k) => file(`.github/x${k}`));
    const v = checkChange(many, 100, { ...policy, maxFiles: 2, maxPatchBytes: 50 });
    expect(v.ok === false && v.problems.slice(0, 2)).toEqual([
      'the patch changes 3 files; at most 2 are allowed (the `max-files` input)',
      'the patch is 100 bytes; at most 50 are allowed (the `max-patch-bytes` input)',
    ]);
  });

  it('clips refusals to at most 200 of 1000 characters, saying how many were left out', () => {
    const long = 'x'.repeat(1500);
    expect(clipProblems(['a', long])).toEqual(['a', `${'x'.repeat(999)}…`]);
    const many = Array.from({ length: 250 }, (_, k) => `p${k}`);
    const clipped = clipProblems(many);
    expect(clipped).toHaveLength(200);
    expect(clipped.slice(0, 199)).toEqual(many.slice(0, 199));
    expect(clipped[199]).toBe('… and 51 more');
    expect(clipProblems(many.slice(0, 200))).toEqual(many.slice(0, 200));
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 1200 }), { maxLength: 400 }), (ps) => {
        const c = clipProblems(ps);
        expect(c.length).toBe(Math.min(ps.length, 200));
        for (const p of c) expect(p.length).toBeLessThanOrEqual(1000);
      }),
      { numRuns: 50 },
    );
  });

  it('blocks all of .github/ by default, workflows always, and says how to allow the rest', () => {
    const paths = [
      '.github/actions/setup/action.yml',
      '.github/CODEOWNERS',
      '.github/workflows/ci.yml',
    ];
    const byDefault = problems(paths.map((p) => file(p)));
    expect(byDefault).toHaveLength(3);
    expect(byDefault[0]).toContain('narrow `blockedPaths`');
    expect(byDefault[2]).toContain('workflow files cannot be changed by a task');
    expect(
      problems(
        paths.map((p) => file(p)),
        { ...policy, blocked: [] },
      ),
    ).toEqual([
      expect.stringMatching(/^\.github\/workflows\/ci\.yml: workflow files cannot be changed/),
    ]);
  });

  it('checkPaths applies the same rules to paths and links alone', () => {
    const v = checkPaths(['.gitmodules', 'x', 'ok.txt'], 10, policy, [
      { path: 'x', target: '.git' },
    ]);
    expect(v).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^\.gitmodules: submodules/),
        'x: a symlink to .git, into `.git`; remove it',
      ],
    });
  });

  it('never passes an entry that is a gitlink, under .git, or a link leaving the tree', () => {
    const component = fc.constantFrom('a', 'b', '.git', '.GIT', '..', '.', 'src', '.github');
    const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((c) => c.join('/'));
    fc.assert(
      fc.property(path, path, fc.constantFrom('100644', '120000', '160000'), (p, t, mode) => {
        const entry: ChangedEntry = mode === '120000' ? link(p, t) : { path: p, mode };
        const ok = checkChange([entry], 1, { ...policy, blocked: [] }).ok;
        const hasGit = p.split('/').some((c) => c.toLowerCase() === '.git');
        if (mode === '160000' || hasGit) expect(ok).toBe(false);
        if (ok && mode === '120000') {
          // A link that passes resolves to a path inside the tree, outside .git.
          const at = p.split('/').slice(0, -1);
          for (const s of t.split('/'))
            if (s === '..') expect(at.pop()).toBeDefined();
            else if (s && s !== '.') at.push(s);
          expect(at.some((c) => c.toLowerCase() === '.git')).toBe(false);
        }
      }),
    );
  });
});
