import { describe, expect, it } from 'vitest';
import type { AgentRound } from '../../src/action/agent/backend.js';
import { unisolated } from '../../src/action/sandbox/sandbox.js';
import {
  ALLOWED_TOOLS,
  ClaudeCodeBackend,
  type AgentSdk,
} from '../../src/action/agent/claude-code-backend.js';

/**
 * The Claude Code backend at its boundary: the Agent SDK (installed at run time, with a platform
 * binary) is replaced by a module with the same `query` shape that records what it was given
 * and answers with result messages shaped like the SDK's.
 */
function fakeSdk(result: Record<string, unknown>) {
  const calls: { prompt: string; options: Record<string, unknown> }[] = [];
  const sdk: AgentSdk = {
    query: (params) => {
      calls.push(params);
      return (async function* () {
        // Messages arrive over time, as from the real SDK.
        for (const message of [
          { type: 'system', subtype: 'init' },
          { type: 'assistant' },
          { type: 'result', ...result },
        ])
          yield await Promise.resolve(message);
      })();
    },
  };
  return { sdk, calls };
}

/** The job's gateway as the backend sees it: an address and a per-run token. */
const gateway = { url: 'http://127.0.0.1:40404', token: 'gantry-run-token' };

const round: AgentRound = {
  prompt: 'do T1',
  cwd: '/work/repo',
  model: 'claude-sonnet-5-5',
  maxTurns: 30,
  maxBudgetUsd: 1.5,
  signal: new AbortController().signal,
  round: 1,
  sandbox: unisolated('/work/repo'),
};

describe('the claude-code backend', () => {
  it('runs Claude Code with no settings files, explicit tools and the limits, with the gateway and no secret', async () => {
    const { sdk, calls } = fakeSdk({
      subtype: 'success',
      result: 'Done.',
      num_turns: 7,
      total_cost_usd: 0.42,
      usage: { input_tokens: 9000, output_tokens: 800 },
    });
    process.env.GITHUB_TOKEN = 'ghs_should_not_pass';
    process.env.ANTHROPIC_API_KEY = 'sk-ant-should-not-pass';
    const outcome = await new ClaudeCodeBackend({
      gateway,
      load: () => Promise.resolve(sdk),
    }).run(round);
    delete process.env.GITHUB_TOKEN;
    delete process.env.ANTHROPIC_API_KEY;
    const o = calls[0]!.options;
    expect(o).toMatchObject({
      cwd: '/work/repo',
      model: 'claude-sonnet-5-5',
      permissionMode: 'dontAsk',
      allowedTools: ALLOWED_TOOLS,
      maxTurns: 30,
      maxBudgetUsd: 1.5,
      settingSources: [],
    });
    const env = o.env as Record<string, string>;
    expect(env.ANTHROPIC_BASE_URL).toBe(gateway.url);
    expect(env.ANTHROPIC_API_KEY).toBe(gateway.token);
    expect(env.GITHUB_TOKEN).toBeUndefined();
    expect(outcome).toMatchObject({
      stop: 'done',
      summary: 'Done.',
      usage: { turns: 7, costUsd: 0.42, inputTokens: 9000, outputTokens: 800 },
    });
  });

  it.each([
    ['error_max_turns', 'max-turns'],
    ['error_max_budget_usd', 'max-budget'],
    ['error_during_execution', 'error'],
  ])('reads result subtype %s as %s, with its cost', async (subtype, stop) => {
    const { sdk } = fakeSdk({ subtype, num_turns: 30, total_cost_usd: 1.49 });
    const outcome = await new ClaudeCodeBackend({
      gateway,
      load: () => Promise.resolve(sdk),
    }).run(round);
    expect(outcome).toMatchObject({ stop, usage: { costUsd: 1.49, turns: 30 } });
  });

  it('loads the SDK once for all rounds', async () => {
    const { sdk } = fakeSdk({ subtype: 'success', num_turns: 1, total_cost_usd: 0 });
    let loads = 0;
    const backend = new ClaudeCodeBackend({
      gateway,
      load: () => (loads++, Promise.resolve(sdk)),
    });
    await backend.run(round);
    await backend.run({ ...round, round: 2 });
    expect(loads).toBe(1);
  });
});
