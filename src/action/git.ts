import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class GitError extends Error {
  override name = 'GitError';
}

/** Run git in `cwd`; a failure says which command failed and what git printed. */
export async function git(
  cwd: string,
  args: string[],
  opts: { input?: string; maxBuffer?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await run('git', args, {
      cwd,
      maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new GitError(`git ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}
