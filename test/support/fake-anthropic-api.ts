import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake API received it. */
export interface ReceivedCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * An answer: a JSON body, or a stream of server-sent events sent one write each. A stream may
 * wait for `hold` before its events after the first, so a test can see what arrived before the
 * rest was sent.
 */
export type FakeAnswer =
  | { status?: number; json: object; headers?: Record<string, string> }
  | { events: object[]; hold?: Promise<void> };

/**
 * A local stand-in for the Anthropic Messages API on 127.0.0.1 that answers successive requests
 * with the given answers, in order, and records them. Real HTTP, so a gateway in front of it is
 * exercised as against the real API; a request beyond the answers gets a 500 the test sees.
 */
export async function fakeAnthropicApi(answers: FakeAnswer[]) {
  const calls: ReceivedCall[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      calls.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
      for (const w of waiting.filter((w) => calls.length >= w.count)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
      const answer = answers[calls.length - 1];
      if (!answer) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            type: 'error',
            error: { type: 'api_error', message: 'no answer left' },
          }),
        );
        return;
      }
      if ('json' in answer) {
        res.writeHead(answer.status ?? 200, {
          'content-type': 'application/json',
          'request-id': `req_${calls.length}`,
          ...answer.headers,
        });
        res.end(JSON.stringify(answer.json));
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'request-id': `req_${calls.length}`,
      });
      void (async () => {
        const [first, ...rest] = answer.events.map(sseEvent);
        res.write(first);
        await answer.hold;
        for (const event of rest) res.write(event);
        res.end();
      })();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    /** Resolves once this many requests have arrived: a test's way to know calls are in flight. */
    received: (count: number) =>
      new Promise<void>((resolve) => {
        if (calls.length >= count) resolve();
        else waiting.push({ count, resolve });
      }),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** One server-sent event as the API writes it: the event name, then its data. */
export const sseEvent = (data: object): string =>
  `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;

/** The events of a streamed answer with one text block, usage as the API reports it. */
export function streamedMessage(
  text: string,
  opts: {
    model?: string;
    /** message_start's usage: input and cache tokens, and the first output token. */
    start: {
      input_tokens: number;
      cache_read_input_tokens?: number;
      cache_creation_input_tokens?: number;
      cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
    };
    /** message_delta's cumulative output tokens. */
    outputTokens: number;
    /** More of message_delta's usage, such as `server_tool_use`. */
    delta?: object;
  },
): object[] {
  return [
    {
      type: 'message_start',
      message: {
        id: 'msg_01Stream',
        type: 'message',
        role: 'assistant',
        model: opts.model ?? 'claude-sonnet-5-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
          ...opts.start,
          output_tokens: 1,
        },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    ...[...text].map((ch) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: ch },
    })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: opts.outputTokens, ...opts.delta },
    },
    { type: 'message_stop' },
  ];
}
