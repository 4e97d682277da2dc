import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { GitHost } from '../../src/standin/git-host.js';
import { StandIn } from '../../src/standin/stand-in.js';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { makeRepo, sh } from '../support/git-repo.js';

const R = 'octo/demo';
const ME = { name: 'Octo Cat', email: 'octocat@example.com' };
const APP = { name: 'gantry[bot]', email: 'gantry@example.com' };

let git: GitHost;
let base: string;
beforeEach(async () => {
  git = new GitHost(mkdtempSync(join(tmpdir(), 'standin-git-')), () => 1_700_000_000_000);
  base = await git.createRepo(R, { 'README.md': '# Demo\n', 'src/a.ts': 'export const a = 1;\n' });
});

/** A task branch: one commit on `from` changing `files`. */
async function branch(name: string, from: string, files: Record<string, string>) {
  const sha = await git.commitFiles(R, from, files, `change ${name}`, ME);
  expect(await git.createBranch(R, name, sha)).toBe(true);
  return sha;
}

describe('the stand-in git host', () => {
  it('creates a bare repository that plain git can clone, with the files given', async () => {
    expect(await git.branchSha(R, 'main')).toBe(base);
    expect(await git.readFile(R, 'main', 'src/a.ts')).toBe('export const a = 1;\n');
    expect((await git.listFiles(R, 'main')).map((f) => f.path)).toEqual(['README.md', 'src/a.ts']);
    const clone = join(git.root, 'clone');
    sh(git.root, 'clone', '--quiet', git.path(R), clone);
    expect(sh(clone, 'rev-parse', 'HEAD').trim()).toBe(base);
  });

  it('merges as the merges API does: 201 with a merge commit, 204 when already in, 409 with the paths', async () => {
    expect(await git.createBranch(R, 'goal', base)).toBe(true);
    expect(await git.createBranch(R, 'goal', base)).toBe(false); // exists: GitHub's 422
    const t1 = await branch('t1', base, { 'src/b.ts': 'b\n' });
    await branch('t2', base, { 'src/a.ts': 'export const a = 2;\n' });
    const first = await git.merge(R, 'goal', 't1', 'land t1', APP);
    expect(first).toMatchObject({ status: 201 });
    const merged = (first as { sha: string }).sha;
    expect(await git.branchSha(R, 'goal')).toBe(merged);
    expect(sh(git.path(R), 'rev-list', '--parents', '-n1', merged).trim().split(' ')).toEqual([
      merged,
      base,
      t1,
    ]);
    expect(await git.merge(R, 'goal', 't1', 'again', APP)).toEqual({ status: 204 });
    expect((await git.merge(R, 'goal', 't2', 'land t2', APP)).status).toBe(201);
    // A third branch from the old base changing the same line conflicts.
    await branch('t3', base, { 'src/a.ts': 'export const a = 3;\n' });
    expect(await git.merge(R, 'goal', 't3', 'land t3', APP)).toEqual({
      status: 409,
      paths: ['src/a.ts'],
    });
    expect(await git.merge(R, 'goal', 'nope', 'x', APP)).toEqual({ status: 404, missing: 'head' });
    expect(await git.merge(R, 'nope', 't1', 'x', APP)).toEqual({ status: 404, missing: 'base' });
  });

  it('merges a commit named by its sha, as the App lands a published commit', async () => {
    await git.createBranch(R, 'goal', base);
    const published = await git.commitFiles(R, base, { 'src/c.ts': 'c\n' }, 'publish', ME);
    const merged = await git.merge(R, 'goal', published, 'land', APP);
    expect(merged).toMatchObject({ status: 201 });
    expect(await git.merge(R, 'goal', published, 'again', APP)).toEqual({ status: 204 });
    expect(await git.compare(R, base, published)).toMatchObject({ ahead_by: 1, behind_by: 0 });
    expect(await git.merge(R, 'goal', 'f'.repeat(40), 'x', APP)).toEqual({
      status: 404,
      missing: 'head',
    });
  });

  it('moves refs by fast-forward only, unless forced', async () => {
    await git.createBranch(R, 'goal', base);
    const ahead = await branch('t1', base, { 'x.txt': 'x\n' });
    const other = await branch('t2', base, { 'y.txt': 'y\n' });
    expect(await git.updateBranch(R, 'goal', ahead, false)).toBe('updated');
    expect(await git.updateBranch(R, 'goal', other, false)).toBe('not-fast-forward');
    expect(await git.updateBranch(R, 'goal', base, true)).toBe('updated');
    expect(await git.branchSha(R, 'goal')).toBe(base);
    expect(await git.updateBranch(R, 'missing', base, true)).toBe('missing');
    expect(await git.updateBranch(R, 'goal', 'f'.repeat(40), true)).toBe('no-commit');
  });

  it('compares as GitHub does: ahead, behind and the files changed since they parted', async () => {
    await git.createBranch(R, 'goal', base);
    await branch('t1', base, { 'src/b.ts': 'b\n', 'src/a.ts': 'a2\n' });
    await git.merge(R, 'goal', 't1', 'land', APP);
    await branch('t2', base, { 'src/a.ts': 'a3\n' });
    const c = await git.compare(R, 'goal', 't2');
    expect(c).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 2 });
    expect(c!.files).toEqual([{ filename: 'src/a.ts', status: 'modified' }]);
    expect(await git.compare(R, 'goal', 'goal')).toMatchObject({
      status: 'identical',
      ahead_by: 0,
    });
    expect(await git.compare(R, 'goal', 'nope')).toBeUndefined();
  });

  it('imports a local repository with its history, adds files on top, and leaves the original alone', async () => {
    const local = makeRepo({ 'README.md': '# mine\n', 'src/x.js': 'export {};\n' });
    writeFileSync(join(local.dir, 'README.md'), 'uncommitted\n');
    const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
    try {
      await standIn.importRepo(
        'local/mine',
        local.dir,
        { '.github/gantry.yml': 'x: 1\n' },
        {
          roles: { maint: 'maintain' },
        },
      );
      const head = (await standIn.git.branchSha('local/mine', 'main'))!;
      expect(await standIn.git.isAncestor('local/mine', local.base, head)).toBe(true);
      expect(await standIn.git.readFile('local/mine', 'main', 'README.md')).toBe('# mine\n');
      expect(await standIn.git.readFile('local/mine', 'main', '.github/gantry.yml')).toBe('x: 1\n');
      expect(standIn.store.repo('local', 'mine')?.defaultBranch).toBe('main');
    } finally {
      await standIn.close();
    }
    // The original: same head, its uncommitted change still there, no new remote.
    expect(sh(local.dir, 'rev-parse', 'HEAD').trim()).toBe(local.base);
    expect(readFileSync(join(local.dir, 'README.md'), 'utf8')).toBe('uncommitted\n');
    expect(sh(local.dir, 'remote').trim()).toBe('origin');
  });
});
