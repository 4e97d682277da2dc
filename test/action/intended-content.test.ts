import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TaskResultSchema } from '../../src/core/task-result.js';
import { buildBundle, runAction } from '../support/action-runner.js';
import { makeRepo } from '../support/git-repo.js';
import { task } from '../support/plans.js';

let bundle: string;
beforeAll(() => {
  bundle = buildBundle();
});

function agent(
  files: Record<string, string>,
  command: string,
  criteria: string,
  extra: Record<string, string> = {},
) {
  const repo = makeRepo(files);
  const spec = task('T1', [], { criteria: [{ kind: 'command', run: criteria }] });
  const run = runAction(bundle, repo.dir, {
    mode: 'agent',
    goal: '9',
    attempt: '1',
    'base-sha': repo.base,
    task: JSON.stringify(spec),
    backend: 'command',
    command,
    ...extra,
  });
  const dir = run.outputs['result-dir']!;
  const result = TaskResultSchema.parse(
    JSON.parse(readFileSync(join(dir, 'gantry-result.json'), 'utf8')),
  );
  const patch = readFileSync(join(dir, 'gantry.patch'), 'utf8');
  const prompt = (round: number) =>
    readFileSync(join(dir, 'prompts', `prompt-${round}.md`), 'utf8');
  return { repo, run, result, patch, prompt };
}

const NESTED_WITH_COMMIT =
  'mkdir -p vendor/lib && (cd vendor/lib && git init -q && echo code > lib.js && git add . && git -c user.name=a -c user.email=a@example.com commit -qm x)';

describe('only intended content lands: the agent job', () => {
  it("takes the agent's change before the criteria run; what they write never lands and is gone before the next round", () => {
    const { run, result, patch } = agent(
      { 'app.py': 'x = 1\n', '.gitignore': 'node_modules/\n' },
      // Round 1: the change, and an ignored dependency directory the agent's environment needs.
      // Round 2: the agent says what it finds after the criteria ran, and marks the round.
      'if [ "$GANTRY_ROUND" = 1 ]; then echo "x = 2" > app.py && mkdir -p node_modules/dep && echo keep > node_modules/dep/index.js; ' +
        'else echo "pycache=$(test -e __pycache__ && echo yes || echo no) stray=$(test -e stray.txt && echo yes || echo no) app=$(cat app.py) dep=$(cat node_modules/dep/index.js)"; echo 2 > round2.txt; fi',
      // Criteria that leave by-products: bytecode, a stray file, even a rewrite of the agent's file.
      'mkdir -p __pycache__ && echo pyc > __pycache__/app.cpython-312.pyc && echo s > stray.txt && echo "x = 3" > app.py && test -e round2.txt',
    );
    expect(run.outputs.status).toBe('success');
    expect(result.iterations).toBe(2);
    expect(result.filesChanged).toEqual(['app.py', 'round2.txt']);
    expect(patch).toContain('+x = 2');
    expect(patch).not.toMatch(/pycache|stray|x = 3|node_modules/);
    // The work tree was the agent's again: by-products removed, ignored files kept.
    expect(result.summary).toContain('pycache=no stray=no app=x = 2 dep=keep');
  });

  it("gives the agent's next round the tree it left, without the criteria's by-products", () => {
    const { run, result, patch } = agent(
      { 'a.txt': 'a\n' },
      'if [ "$GANTRY_ROUND" = 1 ]; then echo one > a.txt; elif [ ! -e stray.txt ]; then echo two > a.txt; fi',
      'echo s > stray.txt; grep -q two a.txt',
    );
    expect(run.outputs.status).toBe('success');
    expect(result.iterations).toBe(2);
    expect(patch).toContain('+two');
    expect(patch).not.toContain('stray');
  });

  it('refuses a nested `git init` (with or without a commit), says why, and the agent can fix it', () => {
    const once = agent(
      { 'a.txt': 'a\n' },
      `${NESTED_WITH_COMMIT} && mkdir empty && (cd empty && git init -q)`,
      'true',
      { 'criteria-iterations': '1' },
    );
    // Not silently dropped: the result fails and names each path and the fix.
    expect(once.run.outputs.status).toBe('failure');
    expect(once.result.reason).toMatch(/^the change was refused by the path policy: /);
    expect(once.result.reason).toContain('vendor/lib: a nested git repository (a gitlink)');
    expect(once.result.reason).toContain('empty: a nested git repository (a gitlink)');
    expect(once.result.reason).toContain('delete its `.git` directory');
    // As data too, for the App: each refused path with its fix.
    expect(once.result.refused).toEqual([
      expect.stringMatching(
        /^vendor\/lib: a nested git repository \(a gitlink\).*delete its `\.git`/,
      ),
      expect.stringMatching(/^empty: a nested git repository \(a gitlink\)/),
    ]);

    const fixed = agent(
      { 'a.txt': 'a\n' },
      `if [ "$GANTRY_ROUND" = 1 ]; then ${NESTED_WITH_COMMIT}; else rm -rf vendor/lib/.git; fi`,
      'true',
    );
    expect(fixed.prompt(2)).toContain('vendor/lib: a nested git repository');
    expect(fixed.run.outputs.status).toBe('success');
    expect(fixed.result.filesChanged).toEqual(['vendor/lib/lib.js']);
    expect(fixed.result).not.toHaveProperty('refused');
  });

  it('refuses .gitmodules, symlinks into .git, files over max-file-bytes and .github/** by default', () => {
    const { run, result } = agent(
      { 'a.txt': 'a\n' },
      'printf "[submodule]\\n" > .gitmodules && ln -s .git/hooks hooks && head -c 2000 /dev/zero > big.bin && mkdir -p .github/actions/x && echo "runs: {}" > .github/actions/x/action.yml',
      'true',
      { 'criteria-iterations': '1', 'max-file-bytes': '1000' },
    );
    expect(run.outputs.status).toBe('failure');
    expect(result.reason).toContain('.gitmodules: submodules cannot be added');
    expect(result.reason).toContain('hooks: a symlink to .git/hooks, into `.git`');
    expect(result.reason).toContain('big.bin: 2000 bytes; a file may be at most 1000 bytes');
    expect(result.reason).toContain('.github/actions/x/action.yml: blocked by `blockedPaths`');
  });

  it('clips `refused` to 200 entries, saying how many more there were (250 blocked files)', () => {
    const { run, result } = agent(
      { 'a.txt': 'a\n' },
      'mkdir -p .github/gen && for k in $(seq 1 250); do echo $k > .github/gen/f$k.txt; done',
      'true',
      { 'criteria-iterations': '1' },
    );
    expect(run.outputs.status).toBe('failure');
    const refused = result.refused!;
    expect(refused).toHaveLength(200);
    // The change as a whole first, then the first 198 files, then the count of the rest.
    expect(refused[0]).toBe(
      'the patch changes 250 files; at most 200 are allowed (the `max-files` input)',
    );
    expect(refused[1]).toMatch(/^\.github\/gen\/f\d+\.txt: blocked by `blockedPaths`/);
    expect(refused[199]).toBe('… and 52 more');
    expect(result.reason.length).toBeLessThanOrEqual(1000);
  });

  it('lets the agent edit a file already over max-file-bytes, but not grow one past it', () => {
    const lock = `${'{"x": 1}\n'.repeat(200)}`; // 2000 bytes
    const files = { 'package-lock.json': lock, 'small.json': '{}\n' };
    const edited = agent(files, 'echo "{}" >> package-lock.json', 'true', {
      'max-file-bytes': '1000',
    });
    expect(edited.run.outputs.status).toBe('success');
    expect(edited.result.filesChanged).toEqual(['package-lock.json']);

    const grown = agent(files, 'head -c 1500 /dev/zero >> small.json', 'true', {
      'max-file-bytes': '1000',
      'criteria-iterations': '1',
    });
    expect(grown.run.outputs.status).toBe('failure');
    expect(grown.result.refused).toEqual([
      expect.stringMatching(/^small\.json: 1503 bytes; a file may be at most 1000 bytes/),
    ]);
  });

  it('allows .github/actions/** when the repository sets `blockedPaths: []` (an empty input)', () => {
    const allowed = agent(
      { 'a.txt': 'a\n' },
      'mkdir -p .github/actions/x && echo "runs: {}" > .github/actions/x/action.yml',
      'true',
      { 'blocked-paths': '' },
    );
    expect(allowed.run.outputs.status).toBe('success');
    expect(allowed.result.filesChanged).toEqual(['.github/actions/x/action.yml']);
  });
});
