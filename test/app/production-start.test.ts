/**
 * The deploy recipe, run: the App installed as an operator installs it (package.json, the lock
 * file and the committed dist/, `npm ci --omit=dev` from npm's cache, no build) and started as
 * deploy/gantry.service starts it, answers 200 on /healthz. systemd itself is not available
 * here: the unit file is parsed and its ExecStart and Environment= are what the test runs.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';

const ROOT = join(import.meta.dirname, '../..');

const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** The `[Service]` settings of a systemd unit (a key given twice keeps every value). */
function unitService(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1]!;
    else if (section === 'Service') {
      const at = line.indexOf('=');
      const key = line.slice(0, at).trim();
      settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1).trim()]);
    }
  }
  return settings;
}

/** GitHub's API as far as the start-up sweep reads it: no installations. Every call is kept. */
async function emptyGitHub(): Promise<{ server: Server; host: string; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url?.split('?')[0] === '/api/v3/app/installations')
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, host: `127.0.0.1:${(server.address() as { port: number }).port}`, calls };
}

describe('the production start (deploy/gantry.service)', () => {
  const unit = unitService(readFileSync(join(ROOT, 'deploy/gantry.service'), 'utf8'));
  const execStart = unit.get('ExecStart')![0]!.split(/\s+/);

  it('runs the committed bundle as an unprivileged user, restarts on failure, with an environment file', () => {
    expect(execStart.slice(1)).toEqual(['dist/app/main.js']);
    expect(basename(execStart[0]!)).toBe('node');
    // `npm start` is the same command.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe(`node ${execStart.slice(1).join(' ')}`);
    expect(unit.get('User')?.[0]).toMatch(/^(?!root$)\w+$/);
    expect(unit.get('Restart')).toEqual(['on-failure']);
    expect(unit.get('EnvironmentFile')).toHaveLength(1);
  });

  it('installed without dev dependencies and started as the unit starts it, answers 200 on /healthz', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-production-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    // What a release holds; copied rather than cloned, so uncommitted work is what is tested.
    for (const file of ['package.json', 'package-lock.json', 'app.yml', 'dist'])
      cpSync(join(ROOT, file), join(dir, file), { recursive: true });
    // From npm's cache: no network. No install scripts: nothing is built at install either.
    execFileSync(
      'npm',
      ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: dir, stdio: 'pipe', env: { ...process.env, npm_config_loglevel: 'error' } },
    );
    for (const dev of ['typescript', 'esbuild', 'tsx', 'vitest'])
      expect(existsSync(join(dir, 'node_modules', dev)), `${dev} is not installed`).toBe(false);

    // Misconfigured, it stops at once and says what to fix.
    const bare = spawnSync(process.execPath, execStart.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      encoding: 'utf8',
    });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toMatch(
      /^Gantry cannot start: [^]*GANTRY_STATE_KEY is not set[^]*APP_ID is not set/,
    );

    const github = await emptyGitHub();
    stops.push(() => new Promise((r) => github.server.close(r)));
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const port = await freePort();
    const unitEnv = Object.fromEntries(
      (unit.get('Environment') ?? []).map((e) => [
        e.slice(0, e.indexOf('=')),
        e.slice(e.indexOf('=') + 1),
      ]),
    );
    let log = '';
    // The unit's node is the machine's; here, the one running the tests (Node 22 or newer).
    const app = spawn(process.execPath, execStart.slice(1), {
      cwd: dir, // the unit's WorkingDirectory
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        ...unitEnv,
        // What /etc/gantry/gantry.env holds; GitHub is the local stand-in for its API.
        APP_ID: '12345',
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: 'production-start-secret',
        GANTRY_STATE_KEY: 's'.repeat(64),
        GHE_HOST: github.host,
        GHE_PROTOCOL: 'http',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
    });
    app.stdout.on('data', (d: Buffer) => (log += d.toString()));
    app.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => app.once('exit', r));
    stops.push(async () => {
      app.kill('SIGTERM');
      await exited;
    });

    // Healthy once the start-up sweep has completed.
    let report: Record<string, unknown> | undefined;
    for (let k = 0; k < 300 && !report?.lastSweep; k++) {
      if (app.exitCode !== null) break;
      await sleep(100);
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (answer?.status === 200) report = (await answer.json()) as Record<string, unknown>;
    }
    const said = log
      .split('\n')
      .filter((l) => !l.includes('/healthz'))
      .join('\n');
    expect(
      report,
      `no healthy answer after the start-up sweep; the App said:\n${said}`,
    ).toMatchObject({
      ok: true,
      lastSweep: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      breakers: [],
      store: { ok: true },
      problems: [],
    });
    expect(github.calls).toEqual([
      expect.stringMatching(/^GET \/api\/v3\/app\/installations(\?|$)/),
    ]);
    // NODE_ENV=production: Probot logs JSON lines.
    expect(JSON.parse(log.split('\n')[0]!)).toMatchObject({ level: 30, name: 'probot' });

    app.kill('SIGTERM');
    expect(await exited).not.toBe(1);
  }, 120_000);
});
