import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPricing, type ModelPrice } from '../../llm/model-price.js';
import { sendApiError, type ApiErrorType } from './api-error.js';
import { zeroCallUsage } from './call-usage.js';
import { hasToken } from './has-token.js';
import { readBody } from './read-body.js';
import { SpendMeter, type GatewaySpend, type Refusal } from './spend-meter.js';
import { UsageReader } from './usage-reader.js';
import { worstCaseOf, type WorstCase } from './worst-case-of.js';

export interface GatewayOptions {
  /** The real Anthropic API key: it stays in this process. */
  apiKey: string;
  /** The task's reservation in USD: model calls are refused once it cannot cover them. */
  reservationUsd: number;
  /** Where calls go; the public API unless a test or a proxy says otherwise. */
  upstream?: string;
  /**
   * The repository's prices (its config's `llm.pricing`), in USD per million tokens, merged over
   * the shared table (`defaultPricing`): an entry here replaces that model's price or adds a
   * model; every other model keeps the shared price.
   */
  pricing?: Readonly<Record<string, ModelPrice>>;
  log?: (line: string) => void;
}

export interface Gateway {
  /** The address the agent gets as ANTHROPIC_BASE_URL. */
  url: string;
  /** The per-run token the agent gets instead of the key; worthless anywhere but here. */
  token: string;
  /** What is counted so far; a call still in flight is not in it until it ends (see `drain`). */
  spent(): GatewaySpend;
  /** Resolves once no request is in flight, so every call so far is in `spent()`. */
  drain(): Promise<void>;
  /**
   * Stop accepting requests, wait for the calls in flight to end and count them, then close.
   * A call still running after `graceMs` (default two minutes) is stopped and charged its worst
   * case, since its bill is never seen. Read the final count with `spent()` after this.
   */
  close(graceMs?: number): Promise<void>;
}

/** What Claude Code and the SDKs call through ANTHROPIC_BASE_URL; the model calls are metered. */
const ROUTES: { method: string; path: RegExp; metered: boolean }[] = [
  { method: 'POST', path: /^\/v1\/messages$/, metered: true },
  { method: 'POST', path: /^\/v1\/messages\/count_tokens$/, metered: false },
  { method: 'GET', path: /^\/v1\/models(\/[\w.:-]+)?$/, metered: false },
];
const ROUTE_LIST = 'POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models';

/**
 * An agent's request is its context: a few hundred kB even near a model's largest context, more
 * with images or documents. The API takes up to 32 MB, but the gateway holds each body in memory
 * and up to MAX_ACTIVE of them at once, so it takes 8 MB.
 */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/**
 * Requests handled at once. An agent runs a few calls side by side (Claude Code's subagents);
 * more is a runaway loop or a hostile agent. The excess is refused with a 429 and a
 * `retry-after`, which the SDKs and Claude Code retry, rather than queued: a queued call would
 * hold its connection and body with no answer, and time out in the client as a network error
 * instead of saying why.
 */
export const MAX_ACTIVE = 16;
/** Open connections, idle keep-alive ones included; beyond this the server drops new ones. */
const MAX_SOCKETS = 4 * MAX_ACTIVE;

const CLOSE_GRACE_MS = 2 * 60_000;

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
 * table's prices. Before a model call is forwarded, its worst case (worst-case-of.ts) is held
 * against the reservation beside the holds of the calls in flight; a call whose worst case does
 * not fit is refused, so calls side by side cannot together overspend. When the call ends its
 * hold is released and its real usage counted. An agent that hangs up does not end the call:
 * the gateway reads the answer to its end, as the API bills it to its end.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const token = `gantry-run-${randomBytes(32).toString('base64url')}`;
  const upstream = (options.upstream ?? 'https://api.anthropic.com').replace(/\/+$/, '');
  const log = options.log ?? ((line: string) => core.info(line));
  const pricing = { ...defaultPricing, ...options.pricing };
  const meter = new SpendMeter(options.reservationUsd, pricing, log);
  const reservation = `$${options.reservationUsd.toFixed(2)}`;

  let active = 0;
  let closed: Promise<unknown> | undefined;
  const drained: (() => void)[] = [];
  /** Stops the upstream calls in flight, for close() when its grace runs out. */
  const stops = new Set<AbortController>();

  const server = createServer((req, res) => {
    if (closed)
      return refuse(
        req,
        res,
        'other',
        503,
        'api_error',
        'the Gantry gateway has closed: the agent job is over',
      );
    if (active >= MAX_ACTIVE)
      return refuse(
        req,
        res,
        'other',
        429,
        'rate_limit_error',
        `the Gantry gateway handles at most ${MAX_ACTIVE} requests at a time: retry when one has ended`,
        1,
      );
    active++;
    handle(req, res)
      .catch((e: unknown) => {
        // An agent that hung up, or a call close() stopped, is not the gateway's failure.
        if (!res.destroyed) log(`gateway: ${(e as Error).message}`);
        if (!res.headersSent)
          sendApiError(res, 502, 'api_error', `the Gantry gateway failed: ${(e as Error).message}`);
        else res.destroy();
      })
      .finally(() => {
        if (--active === 0) for (const resolve of drained.splice(0)) resolve();
      });
  });
  server.maxConnections = MAX_SOCKETS;

  /** Answer with an API error, count the refusal and its reason, and drop the request's body. */
  function refuse(
    req: IncomingMessage,
    res: ServerResponse,
    why: Refusal,
    status: number,
    type: ApiErrorType,
    message: string,
    retryAfterSeconds?: number,
  ): void {
    meter.refuse(why);
    req.resume();
    log(`gateway: refused ${req.method} ${req.url}: ${message}`);
    sendApiError(res, status, type, message, retryAfterSeconds);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (!hasToken(req, token))
      return refuse(
        req,
        res,
        'other',
        401,
        'authentication_error',
        'invalid API key: the Gantry gateway accepts only the per-run token this job gave the agent (ANTHROPIC_API_KEY)',
      );
    const route = ROUTES.find((r) => r.method === req.method && r.path.test(url.pathname));
    if (!route)
      return refuse(
        req,
        res,
        'other',
        404,
        'not_found_error',
        `the Gantry gateway forwards only ${ROUTE_LIST}; ${req.method} ${url.pathname} is refused`,
      );
    const body = await readBody(req, MAX_REQUEST_BYTES);
    if (!body)
      return refuse(
        req,
        res,
        'other',
        413,
        'request_too_large',
        `the request is larger than the Gantry gateway's limit of ${MAX_REQUEST_BYTES} bytes (8 MB): send less context, or smaller images and documents`,
      );
    if (!route.metered) return forward(req, res, url, body);

    const worst = worstCaseOf(body, pricing);
    const used = `$${meter.spent().costUsd.toFixed(4)} used`;
    // 400 like the API's own "credit balance is too low": clients do not retry it (429 they would).
    if (meter.exhausted())
      return refuse(
        req,
        res,
        'overBudget',
        400,
        'invalid_request_error',
        `the task's reservation of ${reservation} is spent (${used}): Gantry refuses further model calls for this task`,
      );
    if (!meter.hold(worst.micros))
      return refuse(
        req,
        res,
        'overBudget',
        400,
        'invalid_request_error',
        `this call could cost up to $${(worst.micros / 1e6).toFixed(4)} (max_tokens ${worst.maxTokens} at ${worst.model}'s output price, and about ${worst.inputTokens} input tokens); with ${used} and $${meter.held().toFixed(4)} held for calls in flight, the task's reservation of ${reservation} cannot cover it: Gantry refuses it (a smaller max_tokens may fit)`,
      );
    try {
      await forward(req, res, url, body, worst);
    } finally {
      meter.release(worst.micros);
    }
  }

  /** Pass the request on with the key, and its answer back as it arrives; a model call (`worst`) is counted. */
  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: Buffer,
    worst?: WorstCase,
  ): Promise<void> {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !DROPPED_REQUEST.has(name))
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    headers.set('x-api-key', options.apiKey);
    // Only close() stops a call upstream: an agent that hangs up leaves the call running, billed.
    const stop = new AbortController();
    stops.add(stop);
    const gone = new AbortController();
    res.on('close', () => {
      gone.abort();
      if (!res.writableFinished && !stop.signal.aborted)
        log(
          `gateway: the agent hung up on ${url.pathname}; the answer is read to its end to count it`,
        );
    });
    let reader: UsageReader | undefined;
    try {
      let answer: Response;
      try {
        answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
          method: req.method!,
          headers,
          ...(req.method === 'GET' ? {} : { body }),
          redirect: 'manual',
          signal: stop.signal,
        });
      } catch (e) {
        if (stop.signal.aborted) {
          if (worst) meter.forwarded();
          return;
        }
        return sendApiError(
          res,
          502,
          'api_error',
          `the Gantry gateway could not reach the Anthropic API: ${(e as Error).message}`,
        );
      }
      if (worst) meter.forwarded();
      reader = new UsageReader(answer.headers.get('content-type'));
      if (!gone.signal.aborted) {
        const out: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (!DROPPED_RESPONSE.has(name)) out[name] = value;
        });
        res.writeHead(answer.status, out);
      }
      if (answer.body)
        for await (const chunk of answer.body as AsyncIterable<Uint8Array>) {
          reader.push(chunk);
          // Once the agent has hung up, the rest is read only for its usage.
          if (gone.signal.aborted) continue;
          // Waits for a slow reader, until it hangs up.
          if (!res.write(chunk))
            await once(res, 'drain', { signal: gone.signal }).catch(() => undefined);
        }
      if (!gone.signal.aborted) res.end();
    } finally {
      stops.delete(stop);
      if (worst) count(reader, worst, stop.signal.aborted);
    }
  }

  /**
   * Count a model call's usage as its answer gave it. A call close() stopped before its end is
   * charged its worst case: the API bills what it produced, which the gateway never saw.
   */
  function count(reader: UsageReader | undefined, worst: WorstCase, stopped: boolean): void {
    const read = reader?.finish();
    if (!read?.usage && !stopped) return;
    const name = read?.model ?? worst.model;
    const usage = read?.usage ?? zeroCallUsage();
    const cost = meter.add(name, usage, stopped ? worst : undefined);
    const total = meter.spent().costUsd;
    log(
      `gateway: ${name} ${usage.inputTokens} in, ${usage.outputTokens} out, ${usage.cacheReadTokens} cache read, ${usage.cacheWriteTokens} cache write (${usage.cacheWrite1hTokens} for 1 hour), ${usage.webSearchRequests} web searches: $${cost.toFixed(4)}${stopped ? ' (stopped before its end: charged its worst case)' : ''} (total $${total.toFixed(4)} of $${options.reservationUsd})`,
    );
  }

  function drain(): Promise<void> {
    return active === 0 ? Promise.resolve() : new Promise((resolve) => drained.push(resolve));
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    spent: () => meter.spent(),
    drain,
    close: async (graceMs = CLOSE_GRACE_MS) => {
      if (!closed) {
        closed = once(server, 'close');
        server.close();
      }
      const timer = setTimeout(() => {
        for (const stop of stops) stop.abort();
        server.closeAllConnections();
      }, graceMs);
      try {
        await drain();
      } finally {
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
