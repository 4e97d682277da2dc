import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Settings that could make git run a command, off for every call; no system or global config. */
const NEUTRAL = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'];

export class GitHostError extends Error {
  override name = 'GitHostError';
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export type MergeResult =
  | { status: 201; sha: string }
  | { status: 204 }
  | { status: 409; paths: string[] }
  | { status: 404; missing: 'base' | 'head' };

export type RefUpdate = 'updated' | 'not-fast-forward' | 'missing' | 'no-commit';

export interface Identity {
  name: string;
  email: string;
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * The stand-in's git: one real bare repository per GitHub repository, and the operations GitHub's
 * API performs on them, with GitHub's rules: refs move only by fast-forward unless forced, merges
 * are made with `git merge-tree --write-tree` (no work tree, as on GitHub's servers) and answer
 * 201 with the merge commit, 204 when the head is already in the base, or 409 with the conflicting
 * paths. Clients clone and push with plain git over the repository's file path.
 */
export class GitHost {
  /** Every ref update that was not a fast-forward (a force push), in order: tests assert on it. */
  readonly forced: { repo: string; branch: string; from: string; to: string }[] = [];

  constructor(
    /** Where the bare repositories live, one `<owner>/<repo>.git` each. */
    readonly root: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The bare repository of `owner/repo`: clone and push URL as well. */
  path(fullName: string): string {
    return join(this.root, `${fullName}.git`);
  }

  /** A new repository whose default branch holds one commit with `files`. */
  async createRepo(
    fullName: string,
    files: Record<string, string>,
    defaultBranch = 'main',
    by: Identity = { name: 'Octo Cat', email: 'octocat@example.com' },
  ): Promise<string> {
    const dir = this.path(fullName);
    await mkdir(dir, { recursive: true });
    await this.git(dir, ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`]);
    const sha = await this.commitFiles(fullName, undefined, files, 'Initial commit', by);
    await this.git(dir, ['update-ref', `refs/heads/${defaultBranch}`, sha]);
    return sha;
  }

  /**
   * A bare clone of a local repository (every branch, its history; the source is only read);
   * its default branch, as the source's HEAD names it. A source in detached HEAD has no branch
   * to name: the clone gets `detached-<sha7>` at the checked-out commit, as its default branch.
   */
  async importRepo(fullName: string, source: string): Promise<string> {
    const dir = this.path(fullName);
    await mkdir(dirname(dir), { recursive: true });
    await this.git(this.root, ['clone', '--quiet', '--bare', '--no-local', source, dir]);
    const head = await this.run(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
    if (head.code === 0) return head.stdout.trim();
    const sha = (await this.git(dir, ['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    const branch = `detached-${sha.slice(0, 7)}`;
    const taken = await this.branchSha(fullName, branch);
    if (taken !== sha && !(await this.createBranch(fullName, branch, sha)))
      throw new GitHostError(`${source} is in detached HEAD and already has a branch ${branch}`);
    await this.git(dir, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    return branch;
  }

  /** A commit of `files` (path -> content) on top of `parent`, made without a work tree. */
  async commitFiles(
    fullName: string,
    parent: string | undefined,
    files: Record<string, string>,
    message: string,
    by: Identity,
  ): Promise<string> {
    const dir = this.path(fullName);
    const tmp = await mkdtemp(join(this.root, '.index-'));
    const env = { GIT_INDEX_FILE: join(tmp, 'index') };
    try {
      if (parent) await this.git(dir, ['read-tree', parent], { env });
      for (const [path, content] of Object.entries(files)) {
        const blob = (
          await this.git(dir, ['hash-object', '-w', '--stdin'], { input: content })
        ).trim();
        await this.git(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], {
          env,
        });
      }
      const tree = (await this.git(dir, ['write-tree'], { env })).trim();
      return await this.commitTree(dir, tree, parent ? [parent] : [], message, by);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** The sha a branch points at, or undefined. */
  async branchSha(fullName: string, branch: string): Promise<string | undefined> {
    const r = await this.run(this.path(fullName), [
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${branch}^{commit}`,
    ]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Create a branch at a commit: false when it exists already (GitHub: 422). */
  async createBranch(fullName: string, branch: string, sha: string): Promise<boolean> {
    await this.requireCommit(fullName, sha);
    // The empty old value makes git refuse if the ref exists.
    const r = await this.run(this.path(fullName), ['update-ref', `refs/heads/${branch}`, sha, '']);
    return r.code === 0;
  }

  /** Move a branch, by fast-forward only unless `force` (GitHub's PATCH git/refs). */
  async updateBranch(
    fullName: string,
    branch: string,
    sha: string,
    force: boolean,
  ): Promise<RefUpdate> {
    const current = await this.branchSha(fullName, branch);
    if (!current) return 'missing';
    if (!(await this.isCommit(fullName, sha))) return 'no-commit';
    const fastForward = await this.isAncestor(fullName, current, sha);
    if (!force && !fastForward) return 'not-fast-forward';
    await this.git(this.path(fullName), ['update-ref', `refs/heads/${branch}`, sha, current]);
    if (!fastForward) this.forced.push({ repo: fullName, branch, from: current, to: sha });
    return 'updated';
  }

  async deleteBranch(fullName: string, branch: string): Promise<boolean> {
    const r = await this.run(this.path(fullName), ['update-ref', '-d', `refs/heads/${branch}`]);
    return r.code === 0;
  }

  /**
   * Several branches moved in one git transaction (`update-ref --stdin`): each from exactly
   * `before` (undefined: it must not exist) to `after` (undefined: deleted), all or none. False
   * when git refused any (a ref moved since `before` was read). Forced moves are recorded.
   */
  async updateBranches(
    fullName: string,
    updates: readonly { branch: string; before?: string; after?: string; forced?: boolean }[],
  ): Promise<boolean> {
    const zero = '0'.repeat(40);
    const input = updates
      .map((u) => `update refs/heads/${u.branch} ${u.after ?? zero} ${u.before ?? zero}\n`)
      .join('');
    const r = await this.run(this.path(fullName), ['update-ref', '--stdin'], { input });
    if (r.code !== 0) return false;
    for (const u of updates)
      if (u.forced && u.before && u.after)
        this.forced.push({ repo: fullName, branch: u.branch, from: u.before, to: u.after });
    return true;
  }

  /** The merges API: merge `head` (a branch or sha) into the branch `base`. */
  async merge(
    fullName: string,
    base: string,
    head: string,
    message: string,
    by: Identity,
  ): Promise<MergeResult> {
    const dir = this.path(fullName);
    const baseSha = await this.branchSha(fullName, base);
    if (!baseSha) return { status: 404, missing: 'base' };
    const headSha = await this.resolve(fullName, head);
    if (!headSha) return { status: 404, missing: 'head' };
    if (await this.isAncestor(fullName, headSha, baseSha)) return { status: 204 };
    const r = await this.run(dir, [
      'merge-tree',
      '--write-tree',
      '--name-only',
      '--no-messages',
      baseSha,
      headSha,
    ]);
    if (r.code === 1) {
      const [, ...paths] = r.stdout.trim().split('\n');
      return { status: 409, paths: [...new Set(paths.filter(Boolean))].sort() };
    }
    if (r.code !== 0) throw new GitHostError(`git merge-tree failed: ${r.stderr.trim()}`);
    const tree = r.stdout.trim().split('\n')[0]!;
    const sha = await this.commitTree(dir, tree, [baseSha, headSha], message, by);
    await this.git(dir, ['update-ref', `refs/heads/${base}`, sha, baseSha]);
    return { status: 201, sha };
  }

  /** GitHub's compare of `base...head`: commits and files on head since they parted. */
  async compare(fullName: string, base: string, head: string) {
    const dir = this.path(fullName);
    const [b, h] = [await this.resolve(fullName, base), await this.resolve(fullName, head)];
    if (!b || !h) return undefined;
    const counts = (
      await this.git(dir, ['rev-list', '--left-right', '--count', `${b}...${h}`])
    ).trim();
    const [behind, ahead] = counts.split(/\s+/).map(Number) as [number, number];
    const files = (await this.git(dir, ['diff', '--name-status', '--no-renames', `${b}...${h}`]))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [code, filename] = line.split('\t') as [string, string];
        return { filename, status: code === 'A' ? 'added' : code === 'D' ? 'removed' : 'modified' };
      });
    const status = ahead && behind ? 'diverged' : ahead ? 'ahead' : behind ? 'behind' : 'identical';
    return { status, ahead_by: ahead, behind_by: behind, files, base_sha: b, head_sha: h };
  }

  /** A file's content at a ref, or undefined. */
  async readFile(fullName: string, ref: string, path: string): Promise<string | undefined> {
    const r = await this.run(this.path(fullName), ['show', `${ref}:${path}`]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /** Every file at a ref. */
  async listFiles(fullName: string, ref: string): Promise<{ path: string; sha: string }[]> {
    const out = await this.git(this.path(fullName), ['ls-tree', '-r', '--full-tree', ref]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [meta, path] = line.split('\t') as [string, string];
        return { path, sha: meta.split(' ')[2]! };
      });
  }

  /** The files of a commit, written into `dir` (no git metadata: a CI checkout). */
  async checkout(fullName: string, sha: string, dir: string): Promise<void> {
    const repo = this.path(fullName);
    const tmp = await mkdtemp(join(this.root, '.index-'));
    const env = { GIT_INDEX_FILE: join(tmp, 'index') };
    try {
      await this.git(repo, ['read-tree', sha], { env });
      await mkdir(dir, { recursive: true });
      await this.git(repo, ['checkout-index', '--all', '--force'], {
        env: { ...env, GIT_WORK_TREE: dir },
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * A clone over git's smart HTTP with `sha` checked out, detached, as `actions/checkout` makes
   * it: the token goes in a header scoped to the server, never into the remote's URL, and stays in
   * the clone's config only when credentials are to persist.
   */
  async clone(
    sha: string,
    dir: string,
    http: { url: string; token: string; persist: boolean },
  ): Promise<void> {
    const basic = Buffer.from(`x-access-token:${http.token}`).toString('base64');
    const header = `AUTHORIZATION: basic ${basic}`;
    const scoped = `http.${new URL(http.url).origin}/.extraheader`;
    await this.git(this.root, [
      '-c',
      `${scoped}=${header}`,
      'clone',
      '--quiet',
      '--no-checkout',
      http.url,
      dir,
    ]);
    if (http.persist) await this.git(dir, ['config', '--local', scoped, header]);
    await this.git(dir, ['checkout', '--quiet', '--detach', sha]);
  }

  /** A branch name or a full sha, as the commit it names. */
  async resolve(fullName: string, ref: string): Promise<string | undefined> {
    if (SHA.test(ref)) return (await this.isCommit(fullName, ref)) ? ref : undefined;
    return this.branchSha(fullName, ref);
  }

  async isAncestor(fullName: string, ancestor: string, of: string): Promise<boolean> {
    const r = await this.run(this.path(fullName), ['merge-base', '--is-ancestor', ancestor, of]);
    return r.code === 0;
  }

  private async isCommit(fullName: string, sha: string): Promise<boolean> {
    const r = await this.run(this.path(fullName), ['cat-file', '-e', `${sha}^{commit}`]);
    return r.code === 0;
  }

  private async requireCommit(fullName: string, sha: string): Promise<void> {
    if (!(await this.isCommit(fullName, sha)))
      throw new GitHostError(`${fullName} has no commit ${sha}`);
  }

  private async commitTree(
    dir: string,
    tree: string,
    parents: string[],
    message: string,
    by: Identity,
  ): Promise<string> {
    const date = `${Math.floor(this.now() / 1000)} +0000`;
    const env = {
      GIT_AUTHOR_NAME: by.name,
      GIT_AUTHOR_EMAIL: by.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: by.name,
      GIT_COMMITTER_EMAIL: by.email,
      GIT_COMMITTER_DATE: date,
    };
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message];
    return (await this.git(dir, args, { env })).trim();
  }

  private async git(
    dir: string,
    args: string[],
    o: { env?: Record<string, string>; input?: string } = {},
  ): Promise<string> {
    const r = await this.run(dir, args, o);
    if (r.code !== 0) throw new GitHostError(`git ${args[0]} failed in ${dir}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  private run(
    dir: string,
    args: string[],
    o: { env?: Record<string, string>; input?: string } = {},
  ): Promise<Ran> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', [...NEUTRAL, ...args], {
        cwd: dir,
        // No stdin unless there is input: writing to a git that does not read it is an EPIPE.
        stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: this.root,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          ...o.env,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      if (o.input !== undefined) {
        child.stdin!.on('error', () => undefined); // git may exit before reading it all; `close` says how
        child.stdin!.end(o.input);
      }
    });
  }
}
