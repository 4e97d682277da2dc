import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../../src/action/gateway/start-gateway.js';
import { UsageReader } from '../../src/action/gateway/usage-reader.js';
import { defaultPricing } from '../../src/llm/model-price.js';
import { usageCost } from '../../src/llm/usage-cost.js';
import { messageResponse } from '../support/anthropic-api.js';
import { fakeAnthropicApi, sseEvent, streamedMessage } from '../support/fake-anthropic-api.js';

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
