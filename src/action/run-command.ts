import { unisolated, type Sandbox } from './sandbox/sandbox.js';

export interface CommandResult {
  exitCode: number;
  /** stdout and stderr interleaved, the end kept when longer than the cap. */
  output: string;
  timedOut: boolean;
}

export const OUTPUT_CAP = 64 * 1024;
/** After the command exits, how long its output may still drain before the pipes are cut. */
const DRAIN_MS = 200;

/**
 * Run a shell command in `cwd` as the agent (the sandbox's user and environment), with a timeout
 * and an output cap.
 * The command runs in its own process group: when it exits or times out the whole group is
 * killed, so nothing it started in the background outlives it and changes the workspace later.
 */
export function runCommand(
  command: string,
  opts: {
    cwd: string;
    timeoutMs: number;
    env?: Record<string, string>;
    signal?: AbortSignal | undefined;
    /** As whom and where the command runs; without one, as the job's user with a clean environment. */
    sandbox?: Sandbox | undefined;
  },
): Promise<CommandResult> {
  if (opts.signal?.aborted)
    return Promise.resolve({
      exitCode: 137,
      output: 'not run: the time limit was already reached',
      timedOut: true,
    });
  return new Promise((resolve) => {
    const sandbox = opts.sandbox ?? unisolated(opts.cwd);
    const child = sandbox.spawn('bash', ['-c', command], {
      cwd: opts.cwd,
      env: sandbox.env(opts.env),
    });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > OUTPUT_CAP * 2) output = output.slice(-OUTPUT_CAP);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    let timedOut = false;
    let exitCode: number | undefined;
    let done = false;
    // Contained, the child's exit then means everything it started is gone.
    const killGroup = () => sandbox.kill(child);
    const onLimit = () => {
      if (exitCode === undefined) timedOut = true;
      killGroup();
    };
    const timer = setTimeout(onLimit, opts.timeoutMs);
    opts.signal?.addEventListener('abort', onLimit, { once: true });
    const finish = (code: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onLimit);
      child.stdout!.destroy();
      child.stderr!.destroy();
      const tail =
        output.length > OUTPUT_CAP ? `[… output cut]\n${output.slice(-OUTPUT_CAP)}` : output;
      resolve({ exitCode: code, output: tail, timedOut });
    };
    child.on('error', (e) => {
      output += `\n${e.message}`;
      finish(127);
    });
    child.on('exit', (code) => {
      exitCode = code ?? 137;
      killGroup();
      // A process that left the group (setsid) may still hold the pipes: stop waiting for them.
      setTimeout(() => finish(exitCode!), DRAIN_MS).unref();
    });
    child.on('close', () => finish(child.exitCode ?? exitCode ?? 137));
  });
}
