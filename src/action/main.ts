import * as core from '@actions/core';
import { join } from 'node:path';
import { AnthropicBackend } from './agent/anthropic-backend.js';
import { runAgentJob } from './agent/agent-mode.js';
import type { AgentBackend } from './agent/backend.js';
import { ClaudeCodeBackend, installAgentSdk } from './agent/claude-code-backend.js';
import { CommandBackend } from './agent/command-backend.js';
import { readInputs, type AgentInputs } from './inputs.js';
import { runPublishJob } from './publish/publish-mode.js';

/** The action's entry: read the inputs, run one job, and the single place a failure fails the job. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    if (inputs.mode === 'agent')
      await runAgentJob({ inputs, workspace, backend: backendFor(inputs) });
    else await runPublishJob(inputs, workspace);
  } catch (e) {
    core.setFailed(e instanceof Error ? e.message : String(e));
  }
}

function backendFor(inputs: AgentInputs): AgentBackend {
  const apiKey = process.env.ANTHROPIC_API_KEY;
  switch (inputs.backend) {
    case 'command':
      return new CommandBackend(inputs.command, join(inputs['output-dir'], 'prompts'), {
        id: inputs.task.id,
        attempt: inputs.attempt,
      });
    case 'anthropic':
      return new AnthropicBackend({ apiKey, baseURL: process.env.ANTHROPIC_BASE_URL });
    case 'claude-code':
      return new ClaudeCodeBackend({
        apiKey,
        load: () => installAgentSdk(join(process.env.RUNNER_TEMP ?? '/tmp', 'claude-agent-sdk')),
      });
  }
}
