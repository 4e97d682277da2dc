import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OpenApi } from '../../src/standin/openapi.js';
import { WebhookSender, type Chaos } from '../../src/standin/webhook-sender.js';
import { examplePayload } from '../support/probot.js';

const SECRET = 'webhook-secret';
let api: OpenApi;
let server: Server | undefined;
beforeAll(() => {
  api = OpenApi.load();
});
afterEach(() => {
  server?.close();
  server = undefined;
});

interface Received {
  event: string;
  id: string;
  verified: boolean;
  action: string;
}

/** An app's webhook endpoint: it verifies each signature and answers `status`. */
async function app(status = 200): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const verifier = new Webhooks({ secret: SECRET });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      void verifier.verify(body, String(req.headers['x-hub-signature-256'])).then((verified) => {
        received.push({
          event: String(req.headers['x-github-event']),
          id: String(req.headers['x-github-delivery']),
          verified,
          action: (JSON.parse(body) as { action: string }).action,
        });
        res.writeHead(status).end();
      });
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
}

const sender = (url: string, chaos?: Chaos, seed = 7) =>
  new WebhookSender({ url, secret: SECRET, openApi: api, chaos, seed });

const labeled = () => examplePayload('issues', 'labeled');
const suite = () => examplePayload('check_suite', 'completed');

describe('webhooks from the stand-in', () => {
  it('are signed and carry the event and delivery headers GitHub sends', async () => {
    const a = await app();
    const s = sender(a.url);
    const id = s.queue('issues', labeled());
    await s.flush();
    expect(a.received).toEqual([{ event: 'issues', id, verified: true, action: 'labeled' }]);
    expect(s.deliveries).toEqual([
      { id, event: 'issues', action: 'labeled', outcome: 200, ms: expect.any(Number) },
    ]);
    expect(s.invalid).toEqual([]);
  });

  it('records a payload GitHub would never send', async () => {
    const a = await app();
    const s = sender(a.url);
    s.queue('check_suite', { ...suite(), check_suite: { id: 'x' } });
    s.queue('no_such_event', { action: 'done' });
    await s.flush();
    expect(s.invalid).toHaveLength(2);
    expect(s.invalid[1]).toBe("no_such_event.done: GitHub's schemas have no such webhook");
  });

  it('loses, duplicates and reorders deliveries on request, the same way for the same seed', async () => {
    const a = await app();
    const lossy = sender(a.url, { drop: 1 });
    lossy.queue('issues', labeled());
    await lossy.flush();
    expect(a.received).toEqual([]);
    expect(lossy.deliveries.map((d) => d.outcome)).toEqual(['lost']);

    const twice = sender(a.url, { duplicate: 1 });
    const id = twice.queue('issues', labeled());
    await twice.flush();
    expect(a.received.map((r) => r.id)).toEqual([id, id]);

    const order = async (seed: number) => {
      const s = sender(a.url, { reorder: true }, seed);
      const ids = Array.from({ length: 8 }, () => s.queue('check_suite', suite()));
      await s.flush();
      return s.deliveries.map((d) => ids.indexOf(d.id));
    };
    const first = await order(3);
    expect(first).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...first].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await order(3)).toEqual(first);
  });

  it('sends once: an app that answers 500 does not get it again', async () => {
    const a = await app(500);
    const s = sender(a.url);
    s.queue('issues', labeled());
    await s.flush();
    await s.flush();
    expect(a.received).toHaveLength(1);
    expect(s.deliveries.map((d) => d.outcome)).toEqual([500]);
  });
});
