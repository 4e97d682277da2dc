import * as core from '@actions/core';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AnthropicBackend } from './agent/anthropic-backend.js';
import { runAgentJob } from './agent/agent-mode.js';
import type { AgentBackend } from './agent/backend.js';
import { ClaudeCodeBackend } from './agent/claude-code-backend.js';
import { installAgentSdk } from './agent/install-agent-sdk.js';
import { CommandBackend } from './agent/command-backend.js';
import { startGateway, type Gateway } from './gateway/start-gateway.js';
import { egressAllowOf, InputError, readInputs, type AgentInputs } from './inputs.js';
import { runPublishJob } from './publish/publish-mode.js';
import { runnerDirectories, startContainment, type Containment } from './sandbox/containment.js';
import { canSudo, rerunAsRoot } from './sandbox/run-as-root.js';

const execFileAsync = promisify(execFile);

/** The action's entry: read the inputs, run one job, and the single place a failure fails the job. */
export async function run(): Promise<void> {
  let gateway: Gateway | undefined;
  let containment: Containment | undefined;
  let outputDir: string | undefined;
  try {
    const inputs = readInputs();
    const workspace = workspaceOf();
    if (inputs.mode === 'agent') {
      const contained = inputs.isolation === 'contained';
      if (
        contained &&
        process.getuid?.() !== 0 &&
        !process.env.GANTRY_AS_ROOT &&
        (await canSudo())
      ) {
        core.info('Running the agent job as root (through sudo) to contain the agent');
        process.exitCode = await rerunAsRoot();
        return;
      }
      outputDir = inputs['output-dir'];
      await mkdir(outputDir, { recursive: true });
      gateway = await gatewayFor(inputs);
      if (contained)
        containment = await startContainment({
          allow: egressAllowOf(inputs),
          gateway: gateway
            ? { host: '127.0.0.1', port: Number(new URL(gateway.url).port) }
            : undefined,
          hide: runnerDirectories(process.env, outputDir),
          log: (line) => core.info(line),
        });
      else
        core.warning(
          "The agent runs unisolated (agent.isolation: unisolated): as the job's own user, able to read what the job can.",
        );
      await runAgentJob({
        inputs,
        workspace,
        backend: backendFor(inputs, gateway, containment),
        ...(gateway ? { meter: gateway } : {}),
        ...(containment ? { contain: (w: string) => containment!.contain(w) } : {}),
      });
    } else await runPublishJob(inputs, workspace);
  } catch (e) {
    core.setFailed(e instanceof Error ? e.message : String(e));
  } finally {
    // Each step on its own: one that fails must not keep the others from running.
    await containment
      ?.close()
      .catch((e: Error) => core.warning(`could not stop the agent's network: ${e.message}`));
    if (gateway) {
      await gateway
        .close()
        .catch((e: Error) => core.warning(`could not close the gateway: ${e.message}`));
      const s = gateway.spent();
      core.info(
        `LLM gateway: ${s.calls} model calls, $${s.costUsd} counted, ${s.refused} requests refused`,
      );
    }
    if (outputDir) await handBackToRunner([outputDir, gitDirOf(workspaceOf())]);
  }
}

/**
 * Run under sudo, the job's files belong to root: give the output and the checkout's git
 * directory back to the runner's user, so its later steps (the upload) and its clean-up can use
 * them.
 */
async function handBackToRunner(dirs: string[]): Promise<void> {
  const uid = process.env.SUDO_UID;
  const gid = process.env.SUDO_GID;
  if (!uid || !gid || !process.env.GANTRY_AS_ROOT) return;
  for (const dir of dirs)
    await execFileAsync('chown', ['-R', '-h', `${uid}:${gid}`, '--', dir]).catch((e: Error) =>
      core.warning(`could not give ${dir} back to the runner's user: ${e.message}`),
    );
}

const workspaceOf = () => process.env.GITHUB_WORKSPACE ?? process.cwd();
/** The checkout's `.git`: root's git wrote objects there (a checkout of the base, the snapshot). */
const gitDirOf = (workspace: string) => join(workspace, '.git');

/**
 * The job's LLM gateway, holding the key, with the task's budget as its reservation. The key
 * leaves this process's environment, so no child inherits it; it is still in this process's
 * initial environment (`/proc/<pid>/environ`) and memory, which the agent can read as long as it
 * runs as the same user (issue 15, part 1, gives it a user of its own). A `command` agent may run
 * without a key (it then has no model access); the other backends need one.
 */
async function gatewayFor(inputs: AgentInputs): Promise<Gateway | undefined> {
  const apiKey = process.env.ANTHROPIC_API_KEY;
  delete process.env.ANTHROPIC_API_KEY;
  if (!apiKey) {
    if (inputs.backend === 'command') return undefined;
    throw new InputError(
      `the ${inputs.backend} backend needs ANTHROPIC_API_KEY in the job environment (a repository secret)`,
    );
  }
  return startGateway({
    apiKey,
    reservationUsd: inputs['max-budget-usd'],
    pricing: inputs.pricing,
    // The runner's ANTHROPIC_BASE_URL, if any, is where the gateway forwards (a proxy, a test's fake API).
    ...(process.env.ANTHROPIC_BASE_URL ? { upstream: process.env.ANTHROPIC_BASE_URL } : {}),
  });
}

/**
 * The agent. Its processes reach the gateway at the address of their own network namespace when
 * contained; Gantry's own tool loop (`anthropic`) runs in this process and uses the host's.
 */
function backendFor(
  inputs: AgentInputs,
  gateway: Gateway | undefined,
  containment: Containment | undefined,
): AgentBackend {
  const forAgent = gateway && { url: containment?.gatewayUrl ?? gateway.url, token: gateway.token };
  if (inputs.backend === 'command')
    return new CommandBackend(
      inputs.command,
      join(inputs['output-dir'], 'prompts'),
      { id: inputs.task.id, attempt: inputs.attempt },
      forAgent,
    );
  if (!gateway || !forAgent)
    throw new Error(`the ${inputs.backend} backend has no gateway to the model`);
  if (inputs.backend === 'anthropic')
    return new AnthropicBackend({ apiKey: gateway.token, baseURL: gateway.url });
  return new ClaudeCodeBackend({
    gateway: forAgent,
    load: (sandbox) =>
      installAgentSdk(
        join(sandbox.scratch ?? process.env.RUNNER_TEMP ?? '/tmp', 'claude-agent-sdk'),
      ),
  });
}
