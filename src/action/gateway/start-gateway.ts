import * as core from '@actions/core';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPricing, type ModelPrice } from '../../llm/model-price.js';
import { sendApiError } from './api-error.js';
import { SpendMeter, type GatewaySpend } from './spend-meter.js';
import { UsageReader } from './usage-reader.js';

export interface GatewayOptions {
  /** The real Anthropic API key: it stays in this process. */
  apiKey: string;
  /** The task's reservation in USD: once the count reaches it, model calls are refused. */
  reservationUsd: number;
  /** Where calls go; the public API unless a test or a proxy says otherwise. */
  upstream?: string;
  pricing?: Readonly<Record<string, ModelPrice>>;
  log?: (line: string) => void;
}

export interface Gateway {
  /** The address the agent gets as ANTHROPIC_BASE_URL. */
  url: string;
  /** The per-run token the agent gets instead of the key; worthless anywhere but here. */
  token: string;
  spent(): GatewaySpend;
  close(): Promise<void>;
}

/** What Claude Code and the SDKs call through ANTHROPIC_BASE_URL; the model calls are metered. */
const ROUTES: { method: string; path: RegExp; metered: boolean }[] = [
  { method: 'POST', path: /^\/v1\/messages$/, metered: true },
  { method: 'POST', path: /^\/v1\/messages\/count_tokens$/, metered: false },
  { method: 'GET', path: /^\/v1\/models(\/[\w.:-]+)?$/, metered: false },
];
const ROUTE_LIST = 'POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models';

/** The API refuses bigger requests too (413), so nothing larger is worth holding. */
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** Request headers that belong to one hop, or carry the caller's credentials, not forwarded. */
const DROPPED_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
  'authorization',
  'x-api-key',
  'accept-encoding',
  'cookie',
]);
/** fetch has already undone the transfer and content encodings of what it hands over. */
const DROPPED_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-encoding',
  'content-length',
]);

/**
 * A local gateway to the Anthropic API for one agent job, on 127.0.0.1 at an ephemeral port. It
 * holds the key; the agent holds only the gateway's address and a per-run token. Every answer
 * is passed through as it arrives while its usage fields (plain or streamed) are counted at the
 * price table's prices; once the count reaches the reservation, further model calls are refused.
 * A call already under way when the reservation is crossed completes, so the count can exceed
 * the reservation by the calls in flight at that moment (one, for an agent that calls in turn).
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const token = `gantry-run-${randomBytes(32).toString('base64url')}`;
  const upstream = (options.upstream ?? 'https://api.anthropic.com').replace(/\/+$/, '');
  const log = options.log ?? ((line: string) => core.info(line));
  const meter = new SpendMeter(options.reservationUsd, options.pricing ?? defaultPricing, log);

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // An agent that hung up mid-answer is not the gateway's failure.
      if (!res.destroyed) log(`gateway: ${(e as Error).message}`);
      if (!res.headersSent)
        sendApiError(res, 502, 'api_error', `the Gantry gateway failed: ${(e as Error).message}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (!hasToken(req, token)) {
      meter.refuse();
      req.resume();
      return sendApiError(
        res,
        401,
        'authentication_error',
        'invalid API key: the Gantry gateway accepts only the per-run token this job gave the agent (ANTHROPIC_API_KEY)',
      );
    }
    const route = ROUTES.find((r) => r.method === req.method && r.path.test(url.pathname));
    if (!route) {
      meter.refuse();
      req.resume();
      return sendApiError(
        res,
        404,
        'not_found_error',
        `the Gantry gateway forwards only ${ROUTE_LIST}; ${req.method} ${url.pathname} is refused`,
      );
    }
    if (route.metered && meter.exhausted()) {
      meter.refuse();
      req.resume();
      const used = meter.spent().costUsd;
      log(`gateway: refused a model call: $${used.toFixed(4)} used of $${options.reservationUsd}`);
      // 400 like the API's own "credit balance is too low": clients do not retry it (429 they would).
      return sendApiError(
        res,
        400,
        'invalid_request_error',
        `the task's reservation of $${options.reservationUsd.toFixed(2)} is spent ($${used.toFixed(4)} used): Gantry refuses further model calls for this task`,
      );
    }
    const body = await readBody(req);
    if (!body) {
      meter.refuse();
      return sendApiError(
        res,
        413,
        'request_too_large',
        `the request is larger than ${MAX_REQUEST_BYTES} bytes`,
      );
    }

    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !DROPPED_REQUEST.has(name))
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    headers.set('x-api-key', options.apiKey);
    // When the agent hangs up, the call upstream stops too.
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    let answer: Response;
    try {
      answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: req.method!,
        headers,
        ...(req.method === 'GET' ? {} : { body }),
        redirect: 'manual',
        signal: abort.signal,
      });
    } catch (e) {
      if (abort.signal.aborted) return;
      return sendApiError(
        res,
        502,
        'api_error',
        `the Gantry gateway could not reach the Anthropic API: ${(e as Error).message}`,
      );
    }
    if (route.metered) meter.forwarded();

    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!DROPPED_RESPONSE.has(name)) out[name] = value;
    });
    res.writeHead(answer.status, out);
    const reader = new UsageReader(answer.headers.get('content-type'));
    try {
      if (answer.body)
        for await (const chunk of answer.body as AsyncIterable<Uint8Array>) {
          reader.push(chunk);
          // Waits for a slow reader; gives up when the agent hangs up.
          if (!res.write(chunk)) await once(res, 'drain', { signal: abort.signal });
        }
      res.end();
    } finally {
      // Counted even when the stream broke off: the tokens seen so far were billed.
      if (route.metered) count(reader, body);
    }
  }

  function count(reader: UsageReader, body: Buffer): void {
    const { model, usage } = reader.finish();
    if (!usage) return;
    const name = model ?? modelOf(body) ?? 'unknown';
    const cost = meter.add(name, usage);
    const total = meter.spent().costUsd;
    log(
      `gateway: ${name} ${usage.inputTokens} in, ${usage.outputTokens} out, ${usage.cacheReadTokens} cache read, ${usage.cacheWriteTokens} cache write: $${cost.toFixed(4)} (total $${total.toFixed(4)} of $${options.reservationUsd})`,
    );
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    spent: () => meter.spent(),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The per-run token, in `x-api-key` or `Authorization: Bearer`, compared in constant time. */
function hasToken(req: IncomingMessage, token: string): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const given = [req.headers['x-api-key'], bearer].filter((v) => typeof v === 'string');
  const want = Buffer.from(token);
  return given.some((v) => {
    const got = Buffer.from(v.trim());
    return got.length === want.length && timingSafeEqual(got, want);
  });
}

/** The whole request, or undefined when it is larger than the API would take. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large, so the connection is still there for the answer.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks);
}

/** The model the request asked for, when the answer did not name one. */
function modelOf(body: Buffer): string | undefined {
  try {
    const model = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
    return typeof model === 'string' ? model : undefined;
  } catch {
    return undefined;
  }
}
