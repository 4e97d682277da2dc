import { glob, lstat, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, dirname, relative, resolve, sep } from 'node:path';
import { runCommand } from '../run-command.js';
import { unisolated, type Sandbox } from '../sandbox/sandbox.js';

export class ToolError extends Error {
  override name = 'ToolError';
}

const MAX_READ = 200_000;
const MAX_LIST = 500;
const MAX_HITS = 100;
const MAX_COMMAND_OUTPUT = 12_000;

/**
 * File and command tools for an agent, confined to one workspace: no absolute paths, no `..`,
 * no way out through a symlink, nothing under `.git`. Commands run as the agent (the sandbox),
 * each in a PID namespace that dies with it, so no agent process is alive while a file tool
 * runs here and no link can be swapped between the check and the use; what a file tool creates
 * is handed to the agent's user.
 */
export class WorkspaceTools {
  private realRoot: string | undefined;

  constructor(
    readonly root: string,
    private readonly signal?: AbortSignal,
    private readonly sandbox: Sandbox = unisolated(root),
  ) {}

  /** Resolve `path` inside the workspace, following symlinks of what exists. */
  async resolve(path: string): Promise<string> {
    if (typeof path !== 'string' || !path.trim()) throw new ToolError('a path is required');
    if (isAbsolute(path))
      throw new ToolError(
        `${path}: absolute paths are not allowed; use a path relative to the repository root`,
      );
    const full = resolve(this.root, path);
    const rel = relative(this.root, full);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      throw new ToolError(`${path}: the path leaves the repository`);
    if (rel === '.git' || rel.startsWith(`.git${sep}`))
      throw new ToolError(`${path}: the .git directory is off limits`);
    this.realRoot ??= await realpath(this.root);
    // Walk the path one component at a time without following links: a symlink (dangling or
    // not) may only be passed through when its real target is inside the workspace.
    let at = this.root;
    for (const part of rel.split(sep)) {
      at = resolve(at, part);
      const info = await lstat(at).catch(() => undefined);
      if (!info) break;
      if (!info.isSymbolicLink()) continue;
      const target = await realpath(at).catch(() => undefined);
      const targetRel = target === undefined ? '..' : relative(this.realRoot, target);
      if (targetRel === '..' || targetRel.startsWith(`..${sep}`) || isAbsolute(targetRel))
        throw new ToolError(`${path}: the path leads out of the repository through a symlink`);
    }
    return full;
  }

  /**
   * Whether `full` is a regular file (false: nothing there); anything else (a FIFO, a device, a
   * directory) is refused, so no open of it can hang the job or touch a device.
   */
  private async regularOrAbsent(full: string, path: string): Promise<boolean> {
    const info = await stat(full).catch(() => undefined);
    if (!info) return false;
    if (!info.isFile()) throw new ToolError(`${path}: not a regular file`);
    return true;
  }

  async readFile(path: string): Promise<string> {
    const full = await this.resolve(path);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) throw new ToolError(`${path}: no such file`);
    const text = await readFile(full, 'utf8');
    return text.length > MAX_READ
      ? `${text.slice(0, MAX_READ)}\n[… ${text.length - MAX_READ} more characters]`
      : text;
  }

  async writeFile(path: string, content: string): Promise<string> {
    const full = await this.resolve(path);
    await this.regularOrAbsent(full, path);
    const made = await mkdir(dirname(full), { recursive: true });
    await this.resolve(path);
    await writeFile(full, content);
    await this.sandbox.handBack([made ?? full]);
    return `wrote ${path} (${Buffer.byteLength(content)} bytes)`;
  }

  /** Replace exactly one occurrence of `oldText`; zero or several is an error that says so. */
  async editFile(path: string, oldText: string, newText: string): Promise<string> {
    const full = await this.resolve(path);
    if (!(await this.regularOrAbsent(full, path))) throw new ToolError(`${path}: no such file`);
    const text = await readFile(full, 'utf8').catch(() => {
      throw new ToolError(`${path}: no such file`);
    });
    if (!oldText) throw new ToolError('old_text must not be empty');
    const count = text.split(oldText).length - 1;
    if (count !== 1)
      throw new ToolError(
        `${path}: old_text occurs ${count} times; it must occur exactly once (include more context)`,
      );
    await writeFile(
      full,
      text.replace(oldText, () => newText),
    );
    return `edited ${path}`;
  }

  /** Files matching a glob, each checked like any other path: no way out through a pattern or a link. */
  private async *matches(pattern: string): AsyncGenerator<{ rel: string; full: string }> {
    if (isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..'))
      throw new ToolError(`${pattern}: patterns must stay inside the repository`);
    for await (const rel of glob(pattern, {
      cwd: this.root,
      exclude: (p) => p === '.git' || p === 'node_modules',
    })) {
      const full = await this.resolve(rel).catch(() => undefined);
      if (full) yield { rel, full };
    }
  }

  async listFiles(pattern = '**/*'): Promise<string> {
    const out: string[] = [];
    for await (const { rel, full } of this.matches(pattern)) {
      const info = await stat(full).catch(() => undefined);
      if (!info?.isFile()) continue;
      out.push(rel);
      if (out.length >= MAX_LIST) {
        out.push('[… more files; narrow the pattern]');
        break;
      }
    }
    return out.sort().join('\n') || '(no files)';
  }

  async search(pattern: string, files = '**/*'): Promise<string> {
    let re: RegExp;
    try {
      re = new RegExp(pattern, 'u');
    } catch (e) {
      throw new ToolError(`invalid regular expression: ${(e as Error).message}`);
    }
    const hits: string[] = [];
    for await (const { rel, full } of this.matches(files)) {
      const info = await stat(full).catch(() => undefined);
      if (!info?.isFile() || info.size > 2_000_000) continue;
      const lines = (await readFile(full, 'utf8')).split('\n');
      lines.forEach((line, k) => {
        if (hits.length < MAX_HITS && re.test(line))
          hits.push(`${rel}:${k + 1}: ${line.slice(0, 200)}`);
      });
      if (hits.length >= MAX_HITS) break;
    }
    return hits.join('\n') || '(no matches)';
  }

  async runCommand(command: string, timeoutSec = 120): Promise<string> {
    const r = await runCommand(command, {
      cwd: this.root,
      timeoutMs: Math.min(Math.max(timeoutSec, 1), 600) * 1000,
      signal: this.signal,
      sandbox: this.sandbox,
    });
    const output =
      r.output.length > MAX_COMMAND_OUTPUT
        ? `[… cut]\n${r.output.slice(-MAX_COMMAND_OUTPUT)}`
        : r.output;
    return `${r.timedOut ? 'timed out' : `exit code ${r.exitCode}`}\n${output}`;
  }
}
