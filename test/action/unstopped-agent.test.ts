import { describe, expect, it } from 'vitest';
import { runAgentJob } from '../../src/action/agent/agent-mode.js';
import type { AgentBackend } from '../../src/action/agent/backend.js';
import type { GatewaySpend } from '../../src/action/gateway/spend-meter.js';
import { unisolated } from '../../src/action/sandbox/sandbox.js';
import { makeRepo } from '../support/git-repo.js';
import { claudeCodeInputs } from './claude-code-inputs.js';

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
      inputs: claudeCodeInputs(repo.base, 'unisolated'),
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
