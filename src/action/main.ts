import * as core from '@actions/core';
import { join } from 'node:path';
import { AnthropicBackend } from './agent/anthropic-backend.js';
import { runAgentJob } from './agent/agent-mode.js';
import type { AgentBackend } from './agent/backend.js';
import { ClaudeCodeBackend } from './agent/claude-code-backend.js';
import { installAgentSdk } from './agent/install-agent-sdk.js';
import { CommandBackend } from './agent/command-backend.js';
import { startGateway, type Gateway } from './gateway/start-gateway.js';
import { InputError, readInputs, type AgentInputs } from './inputs.js';
import { runPublishJob } from './publish/publish-mode.js';

/** The action's entry: read the inputs, run one job, and the single place a failure fails the job. */
export async function run(): Promise<void> {
  let gateway: Gateway | undefined;
  try {
    const inputs = readInputs();
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    if (inputs.mode === 'agent') {
      gateway = await gatewayFor(inputs);
      await runAgentJob({
        inputs,
        workspace,
        backend: backendFor(inputs, gateway),
        ...(gateway ? { meter: gateway } : {}),
      });
    } else await runPublishJob(inputs, workspace);
  } catch (e) {
    core.setFailed(e instanceof Error ? e.message : String(e));
  } finally {
    if (gateway) {
      const s = gateway.spent();
      core.info(
        `LLM gateway: ${s.calls} model calls, $${s.costUsd} counted, ${s.refused} requests refused`,
      );
      await gateway.close();
    }
  }
}

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
    // The runner's ANTHROPIC_BASE_URL, if any, is where the gateway forwards (a proxy, a test's fake API).
    ...(process.env.ANTHROPIC_BASE_URL ? { upstream: process.env.ANTHROPIC_BASE_URL } : {}),
  });
}

function backendFor(inputs: AgentInputs, gateway: Gateway | undefined): AgentBackend {
  if (inputs.backend === 'command')
    return new CommandBackend(
      inputs.command,
      join(inputs['output-dir'], 'prompts'),
      { id: inputs.task.id, attempt: inputs.attempt },
      gateway,
    );
  if (!gateway) throw new Error(`the ${inputs.backend} backend has no gateway to the model`);
  if (inputs.backend === 'anthropic')
    return new AnthropicBackend({ apiKey: gateway.token, baseURL: gateway.url });
  return new ClaudeCodeBackend({
    gateway,
    load: () => installAgentSdk(join(process.env.RUNNER_TEMP ?? '/tmp', 'claude-agent-sdk')),
  });
}
