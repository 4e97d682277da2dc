import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAgentJob } from '../../src/action/agent/agent-mode.js';
import type { AgentBackend } from '../../src/action/agent/backend.js';
import type { GatewaySpend } from '../../src/action/gateway/spend-meter.js';
import { AgentInputsSchema } from '../../src/action/inputs.js';
import { unisolated } from '../../src/action/sandbox/sandbox.js';
import { makeRepo } from '../support/git-repo.js';
import { task } from '../support/plans.js';

function inputs(base: string) {
  return AgentInputsSchema.parse({
    mode: 'agent',
    goal: '5',
    attempt: '1',
    'base-sha': base,
    task: JSON.stringify(task('T1', [], { criteria: [{ kind: 'command', run: 'true' }] })),
    backend: 'claude-code',
    command: '',
    'distinct-id': '',
    model: 'm',
    'max-turns': '5',
    'max-budget-usd': '1',
    'criteria-iterations': '1',
    'timeout-minutes': '5',
    knowledge: '[]',
    guidance: '',
    'output-dir': mkdtempSync(join(tmpdir(), 'gantry-out-')),
    'blocked-paths': '',
    'max-files': '200',
    'max-patch-bytes': '100000',
    'max-file-bytes': '100000',
    isolation: 'unisolated',
    'allowed-hosts': '',
    pricing: '{}',
  });
}

const spent: GatewaySpend = {
  inputTokens: 1000,
  outputTokens: 500,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  webSearchRequests: 0,
  costUsd: 0.75,
  calls: 3,
  refused: 0,
  refusedOverBudget: 0,
  refusedOther: 0,
};

describe('a round whose agent could not be stopped', () => {
  it("still counts the round's spend (the gateway's count and the backend's turns)", async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const backend: AgentBackend = {
      name: 'claude-code',
      run: () =>
        Promise.resolve({
          stop: 'done',
          summary: 'done',
          usage: {
            inputTokens: 1000,
            outputTokens: 500,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            costUsd: 0.7,
            turns: 4,
          },
          findings: [],
        }),
    };
    const result = await runAgentJob({
      inputs: inputs(repo.base),
      workspace: repo.dir,
      backend,
      meter: { spent: () => spent },
      // A process that outlived its SIGKILL (stuck in the kernel): stopping fails.
      contain: (dir) =>
        Promise.resolve({
          ...unisolated(dir),
          stopAll: () => Promise.reject(new Error('process 4242 did not exit')),
        }),
    });
    expect(result.status).toBe('failure');
    expect(result.reason).toMatch(/could not be stopped/);
    expect(result.usage.costUsd).toBe(0.75);
    expect(result.usage.turns).toBe(4);
  });
});
