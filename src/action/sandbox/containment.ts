import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { AllowEntry } from '../../core/egress-allowlist.js';
import { ensureAgentUser } from './agent-user.js';
import { startAgentNetwork, type AgentNetwork } from './agent-network.js';
import { AGENT_BASE, containAgent, ownBase } from './contain-agent.js';
import type { Sandbox } from './sandbox.js';

const run = promisify(execFile);

/** Programs containment runs, and the Debian/Ubuntu package of each. */
const TOOLS: Record<string, string> = {
  useradd: 'passwd',
  setpriv: 'util-linux',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  mount: 'mount',
  ip: 'iproute2',
};

export class ContainmentError extends Error {
  override name = 'ContainmentError';
}

/** What the agent job uses to run the agent contained. */
export interface Containment {
  contain(workspace: string): Promise<Sandbox>;
  /** The gateway's base URL as the agent's processes reach it (inside their network namespace). */
  gatewayUrl?: string | undefined;
  close(): Promise<void>;
}

export const CONTAINMENT_NEEDS =
  'Gantry runs the agent as a user of its own, in network, PID and mount namespaces of its own, which needs root or passwordless sudo (GitHub-hosted runners have it) and the programs setpriv, nsenter, unshare and mount (util-linux), ip (iproute2) and useradd (passwd)';

export const UNISOLATED_HINT =
  "Give the runner what is missing, or set `agent.isolation: unisolated` in .github/gantry.yml to run the agent with the job's own rights (it can then read everything the job can, the LLM key in the job's memory included; every plan comment says so)";

/**
 * Set up containment for one agent job: the agent's user, and a network namespace whose only
 * ways out are the gateway and the egress proxy. Fails, saying what is missing, where it cannot
 * be done; the job must then fail too (unless the repository chose the unisolated mode).
 */
export async function startContainment(o: {
  allow: AllowEntry[];
  /** The job's LLM gateway on host loopback, if the agent has model access. */
  gateway?: { host: string; port: number } | undefined;
  hide: string[];
  base?: string;
  log?: (line: string) => void;
  /** Where the kernel's settings are read (default /proc/sys). */
  procSys?: string;
}): Promise<Containment> {
  if (process.getuid?.() !== 0)
    throw new ContainmentError(
      `the agent cannot be contained: the job runs as uid ${process.getuid?.()} without root. ${CONTAINMENT_NEEDS}. ${UNISOLATED_HINT}.`,
    );
  const missing = await missingTools();
  if (missing.length)
    throw new ContainmentError(
      `the agent cannot be contained: ${missing.map((t) => `${t} (package ${TOOLS[t]})`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed. ${CONTAINMENT_NEEDS}. ${UNISOLATED_HINT}.`,
    );
  const unsafe = await unprotectedKernel(o.procSys ?? '/proc/sys');
  if (unsafe)
    throw new ContainmentError(
      `the agent cannot be contained safely: ${unsafe}. ${UNISOLATED_HINT}.`,
    );
  const base = o.base ?? AGENT_BASE;
  const user = await ensureAgentUser();
  await ownBase(base);
  let network: AgentNetwork;
  try {
    network = await startAgentNetwork({
      allow: o.allow,
      ...(o.gateway ? { gateway: o.gateway } : {}),
    });
  } catch (e) {
    throw new ContainmentError(
      `the agent cannot be contained: its network could not be set up: ${(e as Error).message}. ${UNISOLATED_HINT}.`,
    );
  }
  return {
    contain: (workspace) =>
      containAgent({
        workspace,
        user,
        network,
        hide: o.hide,
        base,
        ...(o.log ? { log: o.log } : {}),
      }),
    gatewayUrl: network.gatewayUrl,
    close: () => network.close(),
  };
}

/**
 * Root hands the agent's copy back with `chown -R`, which changes a hard link's target: only
 * the kernel's `fs.protected_hardlinks` stops the agent from linking a file of root's (say
 * /etc/shadow) into its copy first. On by default on Debian, Ubuntu and GitHub's runners.
 */
async function unprotectedKernel(procSys: string): Promise<string | undefined> {
  const file = join(procSys, 'fs', 'protected_hardlinks');
  const value = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (value === '1') return undefined;
  const is = value === undefined ? `cannot be read at ${file}` : `is ${value}`;
  return `the kernel setting fs.protected_hardlinks ${is}, so the agent could hard-link a file of root's into its copy and be given it; run \`sysctl -w fs.protected_hardlinks=1\` on the runner (and set it in /etc/sysctl.d to keep it)`;
}

async function missingTools(): Promise<string[]> {
  const found = await Promise.all(
    Object.keys(TOOLS).map((t) =>
      run('sh', ['-c', `command -v ${t}`], {
        env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin` },
      }).then(
        () => undefined,
        () => t,
      ),
    ),
  );
  return found.filter((t): t is string => t !== undefined);
}

/**
 * What the agent must not see, from the runner's own variables: its temp directory, the
 * directory of the job's workspaces (the checkout, the actions' code, the file-command files
 * `GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_PATH`), and Gantry's output.
 */
export function runnerDirectories(env: NodeJS.ProcessEnv, outputDir: string): string[] {
  const files = [
    'GITHUB_ENV',
    'GITHUB_OUTPUT',
    'GITHUB_PATH',
    'GITHUB_STATE',
    'GITHUB_STEP_SUMMARY',
  ];
  return [
    env.RUNNER_TEMP,
    env.RUNNER_WORKSPACE ? dirname(env.RUNNER_WORKSPACE) : undefined,
    env.GITHUB_WORKSPACE,
    ...files.map((f) => (env[f] ? dirname(env[f]) : undefined)),
    outputDir,
  ].filter((d): d is string => !!d);
}
