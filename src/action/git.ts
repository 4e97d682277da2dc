import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { safeEnv } from './safe-env.js';

const run = promisify(execFile);

export class GitError extends Error {
  override name = 'GitError';
}

/**
 * Settings the agent could have planted in `.git/config` (or `.gitattributes`) to make Gantry's
 * own git run a command: turned off for every call.
 */
const NEUTRAL = [
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.untrackedCache=false',
  '-c',
  'core.pager=cat',
];

/**
 * Run git in `cwd` without secrets in its environment and with command-running settings off; a
 * failure says which command failed and what git printed.
 */
export async function git(
  cwd: string,
  args: string[],
  opts: {
    maxBuffer?: number;
    env?: Record<string, string>;
    /** Exit codes besides 0 that are an answer, not a failure. */
    okExit?: number[];
  } = {},
): Promise<string> {
  try {
    const { stdout } = await run('git', [...NEUTRAL, ...args], {
      cwd,
      // Neither system nor global config: the agent could have written ~/.gitconfig.
      env: {
        ...safeEnv(),
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        ...opts.env,
      },
      maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; code?: unknown; message: string };
    if (typeof err.code === 'number' && opts.okExit?.includes(err.code)) return err.stdout ?? '';
    throw new GitError(`git ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}
