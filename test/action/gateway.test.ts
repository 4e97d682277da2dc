import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runAgentJob } from '../../src/action/agent/agent-mode.js';
import { ClaudeCodeBackend, type AgentSdk } from '../../src/action/agent/claude-code-backend.js';
import { startGateway } from '../../src/action/gateway/start-gateway.js';
import { AgentInputsSchema } from '../../src/action/inputs.js';
import { TaskResultSchema } from '../../src/core/task-result.js';
import { UsageReader } from '../../src/action/gateway/usage-reader.js';
import { defaultPricing } from '../../src/llm/model-price.js';
import { usageCost } from '../../src/llm/usage-cost.js';
import { messageResponse } from '../support/anthropic-api.js';
import { fakeAnthropicApi, sseEvent, streamedMessage } from '../support/fake-anthropic-api.js';
import { makeRepo } from '../support/git-repo.js';
import { task } from '../support/plans.js';
import { runActionInProcess } from '../support/run-action-in-process.js';

const KEY = 'sk-ant-real-key-never-leaves';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A fake API with these answers and a gateway in front of it, closed after the test. */
async function setUp(answers: Parameters<typeof fakeAnthropicApi>[0], reservationUsd = 2) {
  const api = await fakeAnthropicApi(answers);
  const log: string[] = [];
  const gateway = await startGateway({
    apiKey: KEY,
    reservationUsd,
    upstream: api.url,
    log: (line) => log.push(line),
  });
  open.push(api, gateway);
  // With the headers Claude Code sends, which a gateway must pass on.
  const client = new Anthropic({
    baseURL: gateway.url,
    apiKey: gateway.token,
    maxRetries: 0,
    defaultHeaders: { 'anthropic-beta': 'some-beta-2026-01-01', 'x-claude-code-session-id': 's1' },
  });
  return { api, gateway, client, log };
}

const ask = (client: Anthropic, model = 'claude-sonnet-5-5') =>
  client.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });

const cost = (
  model: string,
  u: {
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
  },
) => usageCost(u, defaultPricing[model]!);

describe('the LLM gateway', () => {
  it('forwards plain and streamed answers and meters them from the usage fields at the table prices', async () => {
    const events = streamedMessage('Hello!', {
      model: 'claude-opus-5-5',
      start: {
        input_tokens: 2100,
        cache_read_input_tokens: 40_000,
        cache_creation_input_tokens: 512,
      },
      outputTokens: 431,
    });
    const { api, gateway, client } = await setUp([
      {
        json: messageResponse('Plain.', {
          model: 'claude-sonnet-5-5',
          usage: {
            input_tokens: 1200,
            output_tokens: 800,
            cache_creation_input_tokens: 3000,
            cache_read_input_tokens: 10,
          },
        }),
      },
      { events },
    ]);
    const plain = await ask(client);
    expect(plain.content).toEqual([{ type: 'text', text: 'Plain.' }]);
    const received: unknown[] = [];
    const stream = await client.messages.create({
      model: 'claude-opus-5-5',
      max_tokens: 1000,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const event of stream) received.push(event);
    // The client reads the events the API sent (the SDK drops the pings).
    expect(received).toEqual(events.filter((e) => (e as { type: string }).type !== 'ping'));

    const expected =
      cost('claude-sonnet-5-5', {
        inputTokens: 1200,
        outputTokens: 800,
        cacheWriteTokens: 3000,
        cacheReadTokens: 10,
      }) +
      cost('claude-opus-5-5', {
        inputTokens: 2100,
        outputTokens: 431,
        cacheReadTokens: 40_000,
        cacheWriteTokens: 512,
      });
    expect(gateway.spent()).toEqual({
      costUsd: Math.round(expected * 1e6) / 1e6,
      inputTokens: 3300,
      outputTokens: 1231,
      cacheReadTokens: 40_010,
      cacheWriteTokens: 3512,
      calls: 2,
      refused: 0,
    });
    // Upstream gets the real key and the API headers, never the per-run token.
    for (const call of api.calls) {
      expect(call.headers['x-api-key']).toBe(KEY);
      expect(call.headers.authorization).toBeUndefined();
      expect(call.headers['anthropic-version']).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(call.headers['anthropic-beta']).toBe('some-beta-2026-01-01');
      expect(call.headers['x-claude-code-session-id']).toBe('s1');
      expect(JSON.stringify(call.headers)).not.toContain(gateway.token);
    }
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /v1/messages',
      'POST /v1/messages',
    ]);
  });

  it('passes a stream on as it arrives, without waiting for its end', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const events = streamedMessage('Hi', { start: { input_tokens: 10 }, outputTokens: 5 });
    const { gateway } = await setUp([{ events, hold }]);
    const answer = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gateway.token, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-5-5', stream: true, messages: [] }),
    });
    expect(answer.headers.get('content-type')).toBe('text/event-stream');
    const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
    // The API has sent only message_start and holds the rest back: it reaches the client anyway.
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"type":"message_start"');
    expect(gateway.spent().costUsd).toBe(0);
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(first + rest).toBe(events.map(sseEvent).join(''));
    expect(gateway.spent()).toMatchObject({ inputTokens: 10, outputTokens: 5, calls: 1 });
  });

  it('counts what a stream billed before the agent hung up, and stops the call upstream', async () => {
    // The API sends message_start and never the rest: only the hang-up can end this call.
    const hold = new Promise<void>(() => {});
    const events = streamedMessage('Hi', { start: { input_tokens: 10 }, outputTokens: 5 });
    const { gateway } = await setUp([{ events, hold }]);
    const hangUp = new AbortController();
    const answer = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gateway.token },
      body: JSON.stringify({ model: 'claude-sonnet-5-5', stream: true, messages: [] }),
      signal: hangUp.signal,
    });
    await (answer.body as ReadableStream<Uint8Array>).getReader().read();
    hangUp.abort();
    await vi.waitFor(() =>
      expect(gateway.spent()).toMatchObject({ inputTokens: 10, outputTokens: 1, calls: 1 }),
    );
  });

  it('refuses a request larger than the API takes with a 413', async () => {
    const { api, gateway } = await setUp([]);
    const answer = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gateway.token },
      body: 'x'.repeat(32 * 1024 * 1024 + 1),
    });
    expect(answer.status).toBe(413);
    expect(((await answer.json()) as { error: { type: string } }).error.type).toBe(
      'request_too_large',
    );
    expect(api.calls).toEqual([]);
  });

  it('accepts the per-run token as a bearer token, and refuses any other credential with 401, forwarding nothing', async () => {
    const { api, gateway } = await setUp([{ json: { input_tokens: 9 } }]);
    const counted = await fetch(`${gateway.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-5-5', messages: [] }),
    });
    expect(await counted.json()).toEqual({ input_tokens: 9 });
    expect(api.calls[0]!.path).toBe('/v1/messages/count_tokens?beta=true');

    for (const apiKey of [KEY, `${gateway.token}x`, 'sk-ant-anything']) {
      const client = new Anthropic({ baseURL: gateway.url, apiKey, maxRetries: 0 });
      const error = await ask(client).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
        type: 'error',
        error: {
          type: 'authentication_error',
          message:
            'invalid API key: the Gantry gateway accepts only the per-run token this job gave the agent (ANTHROPIC_API_KEY)',
        },
      });
    }
    const none = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(api.calls).toHaveLength(1);
    expect(gateway.spent()).toMatchObject({ calls: 0, refused: 4, costUsd: 0 });
  });

  it('refuses what it does not forward with a 404 in the API error shape', async () => {
    const { api, gateway } = await setUp([]);
    const answer = await fetch(`${gateway.url}/v1/files`, {
      headers: { 'x-api-key': gateway.token },
    });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({
      type: 'error',
      error: {
        type: 'not_found_error',
        message:
          'the Gantry gateway forwards only POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models; GET /v1/files is refused',
      },
    });
    expect(api.calls).toEqual([]);
  });

  it('lets the call that crosses the reservation finish, then refuses the next one before it reaches the API', async () => {
    // 1000 in and 1000 out at Sonnet 5.5 is $0.012: over a reservation of a cent.
    const usage = {
      input_tokens: 1000,
      output_tokens: 1000,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    const { api, gateway, client } = await setUp(
      [
        {
          json: messageResponse('one', {
            model: 'claude-sonnet-5-5',
            usage: { ...usage, output_tokens: 100 },
          }),
        },
        { json: messageResponse('two', { model: 'claude-sonnet-5-5', usage }) },
        { json: messageResponse('never', { model: 'claude-sonnet-5-5', usage }) },
      ],
      0.01,
    );
    await ask(client);
    await ask(client);
    const error = await ask(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toContain(
      "the task's reservation of $0.01 is spent ($0.0150 used): Gantry refuses further model calls for this task",
    );
    expect(api.calls).toHaveLength(2);
    expect(gateway.spent()).toMatchObject({ costUsd: 0.015, calls: 2, refused: 1 });
  });

  it('counts the usage an upstream error carries and passes the error on unchanged', async () => {
    const body = {
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
      usage: { input_tokens: 100, output_tokens: 0 },
    };
    const { gateway } = await setUp([{ status: 529, json: body }]);
    const answer = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gateway.token },
      body: JSON.stringify({ model: 'claude-haiku-5-5', messages: [] }),
    });
    expect(answer.status).toBe(529);
    expect(answer.headers.get('request-id')).toBe('req_1');
    expect(await answer.json()).toEqual(body);
    expect(gateway.spent()).toMatchObject({ inputTokens: 100, costUsd: 0.00001, calls: 1 });
  });

  it('prices a dated model id as its model, and an unknown model at the highest known prices, saying so', async () => {
    const usage = {
      input_tokens: 1_000_000,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    const { gateway, client, log } = await setUp([
      { json: messageResponse('a', { model: 'claude-haiku-5-5-20261101', usage }) },
      { json: messageResponse('b', { model: 'claude-mystery-9', usage }) },
    ]);
    await ask(client, 'claude-haiku-5-5-20261101');
    expect(gateway.spent().costUsd).toBe(0.1);
    await ask(client, 'claude-mystery-9');
    // Opus 5.5's $4 per million input tokens is the highest input price in the table.
    expect(gateway.spent().costUsd).toBe(4.1);
    expect(log).toContain(
      'gateway: no price for model claude-mystery-9; counted at the highest known price of each kind',
    );
  });
});

describe('the usage of a streamed answer', () => {
  it('is read however the bytes are cut, with LF or CRLF line ends', () => {
    const events = streamedMessage('abc', {
      start: { input_tokens: 70, cache_read_input_tokens: 3 },
      outputTokens: 12,
    });
    for (const eol of ['\n', '\r\n']) {
      const bytes = Buffer.from(events.map(sseEvent).join('').replace(/\n/g, eol));
      for (const size of [1, 2, 7, bytes.length]) {
        const reader = new UsageReader('text/event-stream; charset=utf-8');
        for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
        expect(reader.finish()).toEqual({
          model: 'claude-sonnet-5-5',
          usage: { inputTokens: 70, outputTokens: 12, cacheReadTokens: 3, cacheWriteTokens: 0 },
        });
      }
    }
  });
});

/** A model call as an agent makes it: to ANTHROPIC_BASE_URL with ANTHROPIC_API_KEY, as the SDKs do. */
const AGENT_CALL = `{
const r = await fetch(process.env.ANTHROPIC_BASE_URL + '/v1/messages', {
  method: 'POST',
  headers: { 'x-api-key': process.env.ANTHROPIC_API_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({ model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
});
console.log('model call: ' + r.status);
}`;

const usage = (input_tokens: number, output_tokens: number) => ({
  input_tokens,
  output_tokens,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});

describe('the agent job behind the gateway', () => {
  it('gives a command agent the gateway and a per-run token, never the key, and reports the gateway count', async () => {
    const api = await fakeAnthropicApi([
      { json: messageResponse('ok', { model: 'claude-haiku-5-5', usage: usage(20_000, 2_000) }) },
      { json: messageResponse('ok', { model: 'claude-haiku-5-5', usage: usage(10_000, 1_000) }) },
    ]);
    open.push(api);
    const outside = mkdtempSync(join(tmpdir(), 'gantry-gw-'));
    const agent = join(outside, 'agent.mjs');
    writeFileSync(
      agent,
      `${AGENT_CALL}${AGENT_CALL}
import { writeFileSync } from 'node:fs';
writeFileSync(process.argv[2], JSON.stringify(process.env));
writeFileSync('notes.txt', 'done\\n');`,
    );
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const criteriaEnv = join(outside, 'criteria-env.txt');
    const spec = task('T1', [], {
      criteria: [
        { kind: 'file', path: 'notes.txt', exists: true },
        { kind: 'command', run: `env > ${criteriaEnv}` },
      ],
    });
    const run = await runActionInProcess(
      repo.dir,
      {
        mode: 'agent',
        goal: '42',
        attempt: '1',
        'base-sha': repo.base,
        task: JSON.stringify(spec),
        backend: 'command',
        command: `node ${agent} ${join(outside, 'agent-env.json')}`,
      },
      { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: api.url },
    );
    expect(run.failed).toBe(false);
    const result = TaskResultSchema.parse(
      JSON.parse(readFileSync(join(run.outputs['result-dir']!, 'gantry-result.json'), 'utf8')),
    );
    expect(result.summary).toContain('model call: 200');
    // 30,000 in and 3,000 out at Haiku 5.5's $0.10 / $0.50 per million: the command reported nothing.
    expect(result.usage).toEqual({
      inputTokens: 30_000,
      outputTokens: 3_000,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.0045,
      turns: 1,
    });
    expect(run.outputs['cost-usd']).toBe('0.0045');
    const env = JSON.parse(readFileSync(join(outside, 'agent-env.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(env.ANTHROPIC_API_KEY).toMatch(/^gantry-run-[\w-]{43}$/);
    expect(env.ANTHROPIC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.ANTHROPIC_BASE_URL).not.toBe(api.url);
    expect(JSON.stringify(env)).not.toContain(KEY);
    // Criteria commands get neither the key nor the token nor the gateway's address.
    const criteria = readFileSync(criteriaEnv, 'utf8');
    expect(criteria).not.toContain(KEY);
    expect(criteria).not.toContain(env.ANTHROPIC_API_KEY);
    expect(criteria).not.toMatch(/^ANTHROPIC_/m);
    expect(api.calls.map((c) => c.headers['x-api-key'])).toEqual([KEY, KEY]);
  });

  it('reports the gateway count, not the cost Claude Code claims, and a refused call as the budget reached', async () => {
    const api = await fakeAnthropicApi([
      { json: messageResponse('ok', { model: 'claude-sonnet-5-5', usage: usage(1_000, 1_000) }) },
    ]);
    open.push(api);
    const gateway = await startGateway({
      apiKey: KEY,
      reservationUsd: 0.01,
      upstream: api.url,
      log: () => {},
    });
    open.push(gateway);
    const seen: { env: Record<string, string>; statuses: number[] } = { env: {}, statuses: [] };
    // Claude Code as the SDK runs it: model calls through the env it was given, then a result
    // whose cost is whatever it says (an agent can make it say anything).
    const sdk: AgentSdk = {
      query: ({ options }) =>
        (async function* () {
          seen.env = options.env as Record<string, string>;
          for (let i = 0; i < 2; i++) {
            const r = await fetch(`${seen.env.ANTHROPIC_BASE_URL}/v1/messages`, {
              method: 'POST',
              headers: { 'x-api-key': seen.env.ANTHROPIC_API_KEY! },
              body: JSON.stringify({ model: 'claude-sonnet-5-5', messages: [] }),
            });
            seen.statuses.push(r.status);
          }
          yield {
            type: 'result',
            subtype: 'error_during_execution',
            num_turns: 2,
            total_cost_usd: 0.000001,
            usage: { input_tokens: 1, output_tokens: 1 },
          };
        })(),
    };
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const out = mkdtempSync(join(tmpdir(), 'gantry-out-'));
    const result = await runAgentJob({
      inputs: AgentInputsSchema.parse({
        mode: 'agent',
        task: JSON.stringify(
          task('T1', [], { criteria: [{ kind: 'file', path: 'done.txt', exists: true }] }),
        ),
        goal: '7',
        attempt: '1',
        'base-sha': repo.base,
        'distinct-id': '',
        backend: 'claude-code',
        model: 'claude-sonnet-5-5',
        'max-turns': '10',
        'max-budget-usd': '0.01',
        'criteria-iterations': '2',
        'timeout-minutes': '5',
        knowledge: '[]',
        guidance: '',
        command: '',
        'output-dir': out,
        'blocked-paths': '',
        'max-files': '200',
        'max-patch-bytes': '1000000',
        'max-file-bytes': '100000',
        isolation: 'contained',
        'allowed-hosts': '',
        pricing: '{}',
      }),
      workspace: repo.dir,
      backend: new ClaudeCodeBackend({ gateway, load: () => Promise.resolve(sdk) }),
      meter: gateway,
    });
    expect(seen.env.ANTHROPIC_API_KEY).toBe(gateway.token);
    // The first call crossed the reservation of a cent ($0.012); the second was refused.
    expect(seen.statuses).toEqual([200, 400]);
    expect(api.calls).toHaveLength(1);
    expect(result.usage).toEqual({
      inputTokens: 1_000,
      outputTokens: 1_000,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.012,
      turns: 2,
    });
    expect(result).toMatchObject({ status: 'failure', reason: 'the agent reached its budget' });
  });
});
