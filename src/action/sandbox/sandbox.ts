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
  return {
    isolated: false,
    tree: workspace,
    gitEnv: {},
    env: (extra = {}) => ({ ...safeEnv(), ...extra }),
    spawn: (file, args, opts) =>
      spawn(file, args, {
        cwd: opts.cwd,
        env: opts.env,
        stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
        detached: true,
      }),
    handBack: async () => {},
    refusedEgress: () => [],
    close: async () => {},
  };
}
