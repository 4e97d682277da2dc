import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { git } from '../git.js';
import type { Sandbox } from '../sandbox/sandbox.js';

/** What `take()` found: the tree of the work, and what git could not put in it. */
export interface Snapshot {
  tree: string;
  /** Paths left out of the tree (a nested repository without a commit, an unreadable file). */
  leftOut: string[];
}

/**
 * The agent's work, frozen in a private index before the criteria run, so what criteria
 * commands write (`__pycache__/`, coverage files, a reformatted file) never becomes part of the
 * change. `restore()` puts the work tree back to the frozen state before the agent's next round:
 * files the criteria added are removed and files they changed are rewritten, while ignored files
 * (`node_modules/`, build caches the agent's environment needs) stay. The repository's own index
 * is never touched, and neither is `outputDir` (Gantry's own output).
 */
export class WorkSnapshot {
  private constructor(
    /** The work tree: the checkout, or the agent's copy of it when contained. */
    private readonly workspace: string,
    private readonly dir: string,
    private readonly base: string,
    private readonly env: Record<string, string>,
    private readonly pathspec: string[],
    private readonly gitConfig: { path: string; saved: Buffer | undefined },
  ) {}

  /**
   * `sandbox.gitEnv` points git at the checkout's git directory and at the agent's tree when the
   * agent is contained (its own `.git` is then never read); otherwise git runs in the checkout.
   */
  static async open(
    workspace: string,
    base: string,
    outputDir: string,
    sandbox: Pick<Sandbox, 'tree' | 'gitEnv'> = { tree: workspace, gitEnv: {} },
  ): Promise<WorkSnapshot> {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-snapshot-'));
    const index = join(dir, 'index');
    const tree = sandbox.tree;
    // Start from the checkout's index so unchanged files are not hashed again.
    const own = resolve(
      tree,
      (await git(tree, ['rev-parse', '--git-path', 'index'], { env: sandbox.gitEnv })).trim(),
    );
    const copied = await copyFile(own, index).then(
      () => true,
      () => false,
    );
    const env = { ...sandbox.gitEnv, GIT_INDEX_FILE: index };
    if (!copied) await git(tree, ['read-tree', base], { env });
    const rel = relative(workspace, resolve(workspace, outputDir));
    const inside = rel && !rel.startsWith('..') && !isAbsolute(rel);
    const configPath = join(workspace, '.git', 'config');
    return new WorkSnapshot(
      tree,
      dir,
      base,
      env,
      ['--', '.', ...(inside ? [`:(exclude)${rel}`] : [])],
      {
        path: configPath,
        saved: await readFile(configPath).catch(() => undefined),
      },
    );
  }

  /** Freeze the work tree as it is now. */
  async take(): Promise<Snapshot> {
    await this.undoConfig();
    await this.forgetNewGitlinks();
    // `--ignore-errors`: one path git cannot add (an empty nested repository) must not lose the
    // rest; what is left out is listed instead, so it is reported, not dropped in silence.
    // (Exit 1 is that case; anything else, such as a locked index, is a real failure.)
    await git(this.workspace, ['add', '--all', '--ignore-errors', ...this.pathspec], {
      env: this.env,
      okExit: [1],
    });
    const tree = (await git(this.workspace, ['write-tree'], { env: this.env })).trim();
    const others = await git(
      this.workspace,
      [
        'ls-files',
        '--others',
        '--exclude-standard',
        '--directory',
        '--no-empty-directory',
        '-z',
        ...this.pathspec,
      ],
      { env: this.env },
    );
    const leftOut = others
      .split('\0')
      .filter(Boolean)
      .map((p) => p.replace(/\/$/, ''));
    return { tree, leftOut };
  }

  /**
   * A nested repository frozen by an earlier round stays a gitlink in the index even after the
   * agent deleted its `.git` (git then ignores the files in it): drop such entries, so `add`
   * sees the directory as it is now. Gitlinks of the base (the repository's submodules) stay.
   */
  private async forgetNewGitlinks(): Promise<void> {
    const gitlinks = (l: string) => (l.startsWith('160000 ') ? [l.slice(l.indexOf('\t') + 1)] : []);
    const now = (await git(this.workspace, ['ls-files', '-s', '-z'], { env: this.env }))
      .split('\0')
      .flatMap(gitlinks);
    if (!now.length) return;
    const base = new Set(
      (await git(this.workspace, ['ls-tree', '-r', '-z', this.base], { env: this.env }))
        .split('\0')
        .flatMap(gitlinks),
    );
    const drop = now.filter((p) => !base.has(p));
    if (drop.length)
      await git(this.workspace, ['update-index', '--force-remove', '--', ...drop], {
        env: this.env,
      });
  }

  /** Put the work tree back to the last `take()`: criteria by-products removed, ignored files kept. */
  async restore(): Promise<void> {
    await this.undoConfig();
    // Untracked (not ignored) files and directories are what the criteria added; a nested
    // repository stays (git needs -ff for those), so the agent can still fix it.
    await git(this.workspace, ['clean', '-f', '-d', '-q', ...this.pathspec], { env: this.env });
    await git(this.workspace, ['checkout-index', '--all', '--force', '-u', '-q'], {
      env: this.env,
    });
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Whether `path` (relative to the workspace) is a directory with its own `.git`. */
  async isRepository(path: string): Promise<boolean> {
    return stat(join(this.workspace, path, '.git')).then(
      () => true,
      () => false,
    );
  }

  /** The agent (or a criterion) may rewrite .git/config (filters): Gantry's git must not run them. */
  private async undoConfig(): Promise<void> {
    if (this.gitConfig.saved) await writeFile(this.gitConfig.path, this.gitConfig.saved);
  }
}
