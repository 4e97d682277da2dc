import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runAgentJob } from '../../src/action/agent/agent-mode.js';
import { ClaudeCodeBackend, type AgentSdk } from '../../src/action/agent/claude-code-backend.js';
import {
  MAX_ACTIVE,
  startGateway,
  type GatewayOptions,
} from '../../src/action/gateway/start-gateway.js';
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
async function setUp(
  answers: Parameters<typeof fakeAnthropicApi>[0],
  reservationUsd = 2,
  more: Partial<GatewayOptions> = {},
) {
  const api = await fakeAnthropicApi(answers);
  const log: string[] = [];
  const gateway = await startGateway({
    apiKey: KEY,
    reservationUsd,
    upstream: api.url,
    log: (line) => log.push(line),
    ...more,
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

/** A streamed call of Sonnet 5.5 with max_tokens 1000, as an agent sends it. */
const STREAM_BODY = JSON.stringify({
  model: 'claude-sonnet-5-5',
  max_tokens: 1000,
  stream: true,
  messages: [],
});
/** Its worst case in micro-dollars: a third of its bytes as input at $2, 1000 output at $10. */
const STREAM_WORST_MICROS = Math.ceil(Buffer.byteLength(STREAM_BODY) / 3) * 2 + 1000 * 10;

/** A call with the gateway's token, as the SDKs make it; resolves when the answer's headers arrive. */
const post = (gateway: { url: string; token: string }, body = STREAM_BODY) =>
  fetch(`${gateway.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': gateway.token, 'content-type': 'application/json' },
    body,
  });

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
      cacheWrite1hTokens: 0,
      webSearchRequests: 0,
      calls: 2,
      refused: 0,
      refusedOverBudget: 0,
      refusedOther: 0,
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
      body: JSON.stringify({
        model: 'claude-sonnet-5-5',
        max_tokens: 100,
        stream: true,
        messages: [],
      }),
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

  it('reads a stream to its end after the agent hung up, and counts all of it', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const events = streamedMessage('Hi', { start: { input_tokens: 10 }, outputTokens: 5 });
    const { gateway, log } = await setUp([{ events, hold }]);
    const hangUp = new AbortController();
    const answer = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gateway.token },
      body: STREAM_BODY,
      signal: hangUp.signal,
    });
    await (answer.body as ReadableStream<Uint8Array>).getReader().read();
    hangUp.abort();
    // Only once the gateway has seen the hang-up does the API send the rest.
    await vi.waitFor(
      () =>
        expect(log).toContain(
          'gateway: the agent hung up on /v1/messages; the answer is read to its end to count it',
        ),
      { timeout: 10_000 },
    );
    release();
    await gateway.drain();
    expect(gateway.spent()).toMatchObject({ inputTokens: 10, outputTokens: 5, calls: 1 });
  });

  it('refuses a request over 8 MB with a 413 before it reaches the API', async () => {
    const { api, gateway } = await setUp([]);
    const request = JSON.stringify({ model: 'claude-haiku-5-5', max_tokens: 1, messages: [] });
    // Valid JSON one byte over the limit, so only the size can be why it is refused.
    const body = `${request.slice(0, -1)},"pad":"${'x'.repeat(8 * 1024 * 1024 - request.length - 8)}"}`;
    expect(Buffer.byteLength(body)).toBe(8 * 1024 * 1024 + 1);
    const answer = await post(gateway, body);
    expect(answer.status).toBe(413);
    expect(((await answer.json()) as { error: unknown }).error).toEqual({
      type: 'request_too_large',
      message:
        "the request is larger than the Gantry gateway's limit of 8388608 bytes (8 MB): send less context, or smaller images and documents",
    });
    expect(api.calls).toEqual([]);
    expect(gateway.spent()).toMatchObject({ refused: 1, refusedOther: 1, refusedOverBudget: 0 });
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
    expect(gateway.spent()).toMatchObject({
      calls: 0,
      refused: 4,
      refusedOther: 4,
      refusedOverBudget: 0,
      costUsd: 0,
    });
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
    expect(gateway.spent()).toMatchObject({
      costUsd: 0.015,
      calls: 2,
      refused: 1,
      refusedOverBudget: 1,
      refusedOther: 0,
    });
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

describe('the gateway under calls side by side', () => {
  it("holds each call's worst case while it runs, refuses the call that does not fit, and frees the hold when a call ends", async () => {
    const held = () => {
      let release!: () => void;
      const hold = new Promise<void>((resolve) => (release = resolve));
      return {
        release,
        answer: {
          events: streamedMessage('Hi', { start: { input_tokens: 10 }, outputTokens: 5 }),
          hold,
        },
      };
    };
    const [one, two] = [held(), held()];
    // Room for two worst cases and not three: two calls in flight leave no room for a third.
    const reservationUsd = (2.5 * STREAM_WORST_MICROS) / 1e6;
    const { api, gateway } = await setUp(
      [
        one.answer,
        two.answer,
        { json: messageResponse('later', { model: 'claude-sonnet-5-5', usage: usage(10, 5) }) },
      ],
      reservationUsd,
    );
    const first = await post(gateway);
    const second = await post(gateway);
    await api.received(2);
    const third = await post(gateway);
    expect(third.status).toBe(400);
    const worst = (STREAM_WORST_MICROS / 1e6).toFixed(4);
    expect(await third.json()).toEqual({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: `this call could cost up to $${worst} (max_tokens 1000 at claude-sonnet-5-5's output price, and about ${Math.ceil(Buffer.byteLength(STREAM_BODY) / 3)} input tokens); with $0.0000 used and $${((2 * STREAM_WORST_MICROS) / 1e6).toFixed(4)} held for calls in flight, the task's reservation of $${reservationUsd.toFixed(2)} cannot cover it: Gantry refuses it (a smaller max_tokens may fit)`,
      },
    });
    expect(api.calls).toHaveLength(2);

    one.release();
    two.release();
    await Promise.all([first.text(), second.text()]);
    await gateway.drain();
    // The holds are gone and the real usage counted: 10 in and 5 out at $2 / $10 a million, twice.
    expect(gateway.spent()).toMatchObject({ costUsd: 0.00014, calls: 2, refusedOverBudget: 1 });
    expect((await post(gateway)).status).toBe(200);
    expect(api.calls).toHaveLength(3);
  });

  it(`refuses a request beyond ${MAX_ACTIVE} at once with a 429 the SDKs retry`, async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const events = streamedMessage('Hi', { start: { input_tokens: 10 }, outputTokens: 5 });
    const { api, gateway } = await setUp(
      Array.from({ length: MAX_ACTIVE }, () => ({ events, hold })),
      100,
    );
    const running = await Promise.all(Array.from({ length: MAX_ACTIVE }, () => post(gateway)));
    await api.received(MAX_ACTIVE);
    const excess = await post(gateway);
    expect(excess.status).toBe(429);
    expect(excess.headers.get('retry-after')).toBe('1');
    expect(excess.headers.get('x-should-retry')).toBe('true');
    expect(((await excess.json()) as { error: unknown }).error).toEqual({
      type: 'rate_limit_error',
      message: `the Gantry gateway handles at most ${MAX_ACTIVE} requests at a time: retry when one has ended`,
    });
    release();
    await Promise.all(running.map((r) => r.text()));
    await gateway.drain();
    expect(gateway.spent()).toMatchObject({ calls: MAX_ACTIVE, refusedOther: 1 });
    expect(api.calls).toHaveLength(MAX_ACTIVE);
  });

  it('closes only once the call in flight has ended, counting it, and takes no call meanwhile', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const events = streamedMessage('Hi', { start: { input_tokens: 10 }, outputTokens: 5 });
    const { api, gateway } = await setUp([{ events, hold }, { json: {} }]);
    const answer = await post(gateway);
    const closed = gateway.close();
    // A new call is refused: the server no longer listens, or answers that it has closed.
    const late = await post(gateway).then(
      (r) => r.status,
      () => 'connection refused',
    );
    expect([503, 'connection refused']).toContain(late);
    release();
    expect(await answer.text()).toBe(events.map(sseEvent).join(''));
    await closed;
    expect(gateway.spent()).toMatchObject({ inputTokens: 10, outputTokens: 5, calls: 1 });
    expect(api.calls).toHaveLength(1);
  });

  it('stops a call still running when the grace of close runs out, and charges its worst case', async () => {
    // The API sends message_start and never the rest.
    const events = streamedMessage('Hi', { start: { input_tokens: 10 }, outputTokens: 5 });
    const { gateway, log } = await setUp([{ events, hold: new Promise<void>(() => {}) }]);
    const answer = await post(gateway);
    await (answer.body as ReadableStream<Uint8Array>).getReader().read();
    await gateway.close(0);
    // The input read from message_start, and the output at its max_tokens, or the hold if more.
    expect(gateway.spent()).toMatchObject({
      costUsd: Math.max(STREAM_WORST_MICROS, 10 * 2 + 1000 * 10) / 1e6,
      inputTokens: 10,
      calls: 1,
    });
    expect(
      log.some((line) => line.includes('stopped before its end: charged its worst case')),
    ).toBe(true);
  });
});

describe('the prices the gateway applies', () => {
  it('prices 1-hour cache writes at twice the input price and web searches at $10 a thousand, plain and streamed', async () => {
    const { gateway, client } = await setUp([
      {
        json: {
          ...messageResponse('Plain.', { model: 'claude-sonnet-5-5' }),
          usage: {
            input_tokens: 1000,
            output_tokens: 100,
            cache_creation_input_tokens: 3000,
            cache_read_input_tokens: 0,
            cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
            server_tool_use: { web_search_requests: 3 },
          },
        },
      },
      {
        events: streamedMessage('Found.', {
          model: 'claude-opus-5-5',
          start: {
            input_tokens: 10,
            cache_creation_input_tokens: 500,
            cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 500 },
          },
          outputTokens: 20,
          delta: { server_tool_use: { web_search_requests: 2 } },
        }),
      },
    ]);
    await ask(client);
    const stream = await client.messages.create({
      model: 'claude-opus-5-5',
      max_tokens: 1000,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const event of stream) void event;
    // Sonnet: 1000 x $2 + 100 x $10 + 1000 5-minute writes x $2.50 + 2000 1-hour writes x $4, + 3 searches x $0.01.
    const sonnet = 2000 + 1000 + 2500 + 8000 + 30_000;
    // Opus: 10 x $4 + 20 x $20 + 500 1-hour writes x $8, + 2 searches x $0.01.
    const opus = 40 + 400 + 4000 + 20_000;
    expect(gateway.spent()).toMatchObject({
      costUsd: (sonnet + opus) / 1e6,
      cacheWriteTokens: 3500,
      cacheWrite1hTokens: 2500,
      webSearchRequests: 5,
    });
  });

  it("prices models by the repository's pricing merged over the shared table", async () => {
    const million = usage(1_000_000, 0);
    const { gateway, client } = await setUp(
      [
        { json: messageResponse('a', { model: 'claude-sonnet-5-5', usage: million }) },
        { json: messageResponse('b', { model: 'claude-house-1', usage: million }) },
        { json: messageResponse('c', { model: 'claude-haiku-5-5', usage: million }) },
      ],
      10,
      {
        pricing: {
          'claude-sonnet-5-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
          'claude-house-1': { input: 0.5, output: 1, cacheRead: 0.05, cacheWrite: 0.6 },
        },
      },
    );
    await ask(client, 'claude-sonnet-5-5');
    expect(gateway.spent().costUsd).toBe(1);
    await ask(client, 'claude-house-1');
    expect(gateway.spent().costUsd).toBe(1.5);
    // Not in the repository's prices: the shared table's $0.10 a million.
    await ask(client, 'claude-haiku-5-5');
    expect(gateway.spent().costUsd).toBe(1.6);
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
          usage: {
            inputTokens: 70,
            outputTokens: 12,
            cacheReadTokens: 3,
            cacheWriteTokens: 0,
            cacheWrite1hTokens: 0,
            webSearchRequests: 0,
          },
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
    // The agent's script is in the repository: the agent runs as a user of its own, in a copy.
    const repo = makeRepo({
      'README.md': '# demo\n',
      'agent.mjs': `${AGENT_CALL}${AGENT_CALL}
import { writeFileSync } from 'node:fs';
const e = process.env;
console.log('env ' + JSON.stringify({ key: e.ANTHROPIC_API_KEY, url: e.ANTHROPIC_BASE_URL, all: JSON.stringify(e) }));
writeFileSync('notes.txt', 'done\\n');`,
    });
    const spec = task('T1', [], {
      criteria: [
        { kind: 'file', path: 'notes.txt', exists: true },
        // Criteria commands get neither the key nor the token nor the gateway's address.
        { kind: 'command', run: "! env | grep -q '^ANTHROPIC_'" },
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
        command: 'node agent.mjs',
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
    const env = JSON.parse(/^env (.*)$/m.exec(result.summary)![1]!) as Record<string, string>;
    expect(env.key).toMatch(/^gantry-run-[\w-]{43}$/);
    expect(env.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.url).not.toBe(api.url);
    expect(env.all).not.toContain(KEY);
    expect(result.criteria.passed).toBe(true);
    expect(api.calls.map((c) => c.headers['x-api-key'])).toEqual([KEY, KEY]);
  });

  // The second call is refused because the first spent the reservation, or, before it is spent,
  // because its worst case ($0.01 for 1000 output tokens) does not fit in what is left.
  it.each([
    { spent: 'spent', first: usage(1_000, 1_000), maxTokens: 100, costUsd: 0.012 },
    { spent: 'not spent', first: usage(1_000, 200), maxTokens: 1000, costUsd: 0.004 },
  ])(
    'reports the gateway count, not the cost Claude Code claims, and a refused call as the budget reached (reservation $spent)',
    async ({ first, maxTokens, costUsd }) => {
      const api = await fakeAnthropicApi([
        { json: messageResponse('ok', { model: 'claude-sonnet-5-5', usage: first }) },
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
                body: JSON.stringify({
                  model: 'claude-sonnet-5-5',
                  max_tokens: i === 0 ? 100 : maxTokens,
                  messages: [],
                }),
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
      // The second call was refused: the first spent the reservation of a cent, or left too little.
      expect(seen.statuses).toEqual([200, 400]);
      expect(api.calls).toHaveLength(1);
      expect(result.usage).toEqual({
        inputTokens: first.input_tokens,
        outputTokens: first.output_tokens,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd,
        turns: 2,
      });
      expect(result).toMatchObject({ status: 'failure', reason: 'the agent reached its budget' });
    },
  );
});
