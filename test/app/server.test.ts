import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../../src/app/env.js';

const ROOT = join(import.meta.dirname, '../..');

describe('settings from the environment', () => {
  it('needs a state key of at least 32 characters and says how to make one', () => {
    expect(() => optionsFromEnv({})).toThrow(/GANTRY_STATE_KEY is not set.*openssl rand -hex 32/);
    expect(() => optionsFromEnv({ GANTRY_STATE_KEY: 'short' })).toThrow(/is too short/);
    expect(() =>
      optionsFromEnv({ GANTRY_STATE_KEY: 'k'.repeat(32), GANTRY_RECONCILE_MINUTES: 'often' }),
    ).toThrow('GANTRY_RECONCILE_MINUTES must be a number of minutes, at least 1 (got "often").');
  });

  it('links to GitHub Enterprise when GHE_HOST is set', () => {
    const o = optionsFromEnv({
      GANTRY_STATE_KEY: 'k'.repeat(32),
      GHE_HOST: 'ghe.example.com',
      GANTRY_RECONCILE_MINUTES: '5',
    });
    expect(o.serverUrl).toBe('https://ghe.example.com');
    expect(o.reconcileEveryMs).toBe(300_000);
  });
});

let child: ChildProcess | undefined;
let ghe: Server | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  ghe?.close();
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('npm start', () => {
  it('serves signed webhooks and reconciles at start-up, against a GitHub Enterprise host', async () => {
    // A local "GitHub Enterprise" that knows one call: the start-up sweep's installation list.
    const seen: string[] = [];
    let swept!: () => void;
    const sweep = new Promise<void>((resolve) => (swept = resolve));
    ghe = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/api/v3/app/installations')) {
        res.end('[]');
        swept();
      } else {
        res.statusCode = 404;
        res.end('{"message":"Not Found"}');
      }
    });
    const gheUrl = await listen(ghe);
    const probe = createServer();
    const port = await listen(probe); // a free port for the app
    probe.close();
    await once(probe, 'close');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const secret = 'webhook-secret';
    child = spawn(process.execPath, ['--import', 'tsx', 'src/app/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        APP_ID: '12345',
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: secret,
        GANTRY_STATE_KEY: 's'.repeat(64),
        GHE_HOST: `127.0.0.1:${gheUrl}`,
        GHE_PROTOCOL: 'http',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(child, 'exit').then(() => {
      throw new Error(`the app exited:\n${output}`);
    });
    await Promise.race([sweep, exited]);
    expect(seen[0]).toBe('GET /api/v3/app/installations?per_page=100');

    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const post = (signature: string) =>
      fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': 'ping-1',
          'x-hub-signature-256': signature,
        },
        body,
      });
    const good = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    expect((await post(good)).status).toBe(200);
    expect((await post(`sha256=${'0'.repeat(64)}`)).status).toBe(400);
  }, 60_000);
});
