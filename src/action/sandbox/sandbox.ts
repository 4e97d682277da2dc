import { spawn, type ChildProcess } from 'node:child_process';
import { safeEnv } from '../safe-env.js';

/** How the agent job starts a program as the agent. */
export interface SpawnAs {
  cwd: string;
  env: Record<string, string>;
  stdio?: 'pipe' | ['ignore' | 'pipe', 'pipe', 'pipe'];
}

/**
 * Where and as whom the agent runs: every agent process and every criteria command is started
 * through `spawn`, in `tree`, with `env(…)`. Contained, that is a user of its own in namespaces
 * of its own (see contain-agent.ts); unisolated, it is the job's own user in the checkout.
 */
export interface Sandbox {
  readonly isolated: boolean;
  /** The directory the agent works in. */
  readonly tree: string;
  /**
   * A directory the agent can read but not write, for what Gantry hands it (a prompt, the Agent
   * SDK it installs); undefined when unisolated (choose one).
   */
  readonly scratch?: string;
  /**
   * For Gantry's own git on the tree: a git directory and config the agent cannot write.
   * Empty when unisolated (git then runs in the checkout, its config restored before each use).
   */
  readonly gitEnv: Record<string, string>;
  /** The environment of an agent process: minimal, with no credential, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Start `file args` as the agent, in its own process group (so it can be killed as one). */
  spawn(file: string, args: string[], opts: SpawnAs): ChildProcess;
  /**
   * SIGKILL a process this sandbox started and everything it started. Contained, its exit then
   * means they are all gone (the PID namespace's PID 1 is killed, `unshare` waits for it); so a
   * caller that awaits the exit knows nothing of the agent's still runs.
   */
  kill(child: ChildProcess): void;
  /**
   * Kill every agent process this sandbox started and wait until they are gone: called before
   * Gantry reads or restores the tree, whatever the backend says about its own processes (a
   * backend's SIGTERM is not a kill, and an agent may fake its own end). Contained, a process
   * that left its group or its session dies with its PID namespace. Rejects if they could not be
   * stopped, and then the tree must not be read.
   */
  stopAll(): Promise<void>;
  /**
   * Give what Gantry wrote in the tree back to the agent: `paths` (each with what is under it),
   * or the whole tree after a restore.
   */
  handBack(paths?: string[]): Promise<void>;
  /** Destinations the egress proxy refused, with counts. */
  refusedEgress(): { destination: string; count: number }[];
  close(): Promise<void>;
}

/**
 * The agent as the job's own user, in the checkout: the explicit `unisolated` mode, and what the
 * unit tests of the agent job use. Only the environment is cleaned.
 */
export function unisolated(workspace: string): Sandbox {
  const running = new Running();
  return {
    isolated: false,
    tree: workspace,
    gitEnv: {},
    env: (extra = {}) => ({ ...safeEnv(), ...extra }),
    spawn: (file, args, opts) =>
      running.track(
        spawn(file, args, {
          cwd: opts.cwd,
          env: opts.env,
          stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
          detached: true,
        }),
      ),
    // Only the group: unisolated, a process that called setsid is out of reach (see the README).
    kill: (child) => killGroup(child.pid),
    stopAll: () => running.stopAll((child) => killGroup(child.pid)),
    handBack: async () => {},
    refusedEgress: () => [],
    close: async () => {},
  };
}

/** How long stopping may take before the job gives up on the agent's tree. */
const STOP_MS = 15_000;

/** The processes a sandbox started that have not exited yet. */
export class Running {
  private readonly children = new Set<ChildProcess>();

  track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    // A process that never started has no exit to wait for; a failed kill is no exit.
    child.on('error', () => {
      if (child.pid === undefined) this.children.delete(child);
    });
    return child;
  }

  /** `kill` each and wait for its exit. */
  async stopAll(kill: (child: ChildProcess) => void | Promise<void>): Promise<void> {
    const left = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      left.map(async (child) => {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        await kill(child);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `the agent's process ${child.pid ?? '?'} did not exit within ${STOP_MS / 1000} s of SIGKILL`,
                ),
              ),
            STOP_MS,
          );
        });
        try {
          await Promise.race([exited, late]);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
}

/** SIGKILL a process group; nothing if it is gone. */
export function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}
