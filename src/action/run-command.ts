import { spawn } from 'node:child_process';
import { safeEnv } from './safe-env.js';

export interface CommandResult {
  exitCode: number;
  /** stdout and stderr interleaved, the end kept when longer than the cap. */
  output: string;
  timedOut: boolean;
}

export const OUTPUT_CAP = 64 * 1024;

/**
 * Run a shell command in `cwd` with the secret-free environment, a timeout and an output cap.
 * A command that outlives its timeout is killed with its process group.
 */
export function runCommand(
  command: string,
  opts: {
    cwd: string;
    timeoutMs: number;
    env?: Record<string, string>;
    signal?: AbortSignal | undefined;
  },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], {
      cwd: opts.cwd,
      env: { ...safeEnv(), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > OUTPUT_CAP * 2) output = output.slice(-OUTPUT_CAP);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const kill = () => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(kill, opts.timeoutMs);
    opts.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, output: `${output}\n${e.message}`, timedOut: false });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
      const tail =
        output.length > OUTPUT_CAP ? `[… output cut]\n${output.slice(-OUTPUT_CAP)}` : output;
      resolve({ exitCode: code ?? 137, output: tail, timedOut });
    });
  });
}
