import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { gantryApp, type GantryAppOptions } from '../../src/app/app.js';
import { BreakerBook } from '../../src/app/breakers.js';
import { healthzHandler } from '../../src/app/healthz-handler.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { DIAMOND, KEY, NOW } from '../support/app-harness.js';
import { MemoryGitHub } from '../support/memory-github.js';
import { testProbot } from '../support/probot.js';

const MINUTE = 60_000;

async function loaded(over: Partial<GantryAppOptions> = {}) {
  const github = new MemoryGitHub();
  const scripted = await ScriptedPlanner.fromFile(DIAMOND);
  const clock = { now: NOW };
  const app = gantryApp({
    planner: () => scripted,
    stateKey: KEY,
    now: () => clock.now,
    github: { repository: () => github.port, app: () => github.app },
    ...over,
  });
  await testProbot(app);
  return { app, clock };
}

describe('health', () => {
  it('is well with memory and no sweep yet; the sweep is then stamped', async () => {
    const { app } = await loaded();
    expect(await app.health()).toEqual({
      ok: true,
      lastSweep: null,
      breakers: [],
      store: { kind: 'memory', ok: true },
      problems: [],
    });
    await app.reconcileAll();
    await app.idle();
    expect((await app.health()).lastSweep).toBe(new Date(NOW).toISOString());
  });

  it('lists the breakers that are open or half-open, with their repository and since when', async () => {
    const breakers = new BreakerBook({ threshold: 100, cooldownMs: 30 * MINUTE });
    const settings = { threshold: 2, cooldownMs: 10 * MINUTE };
    await breakers.record('o/flaky', false, NOW, settings, 'k1');
    await breakers.record('o/flaky', false, NOW + MINUTE, settings, 'k2');
    await breakers.record('o/fine', false, NOW, settings, 'k3');
    const { app, clock } = await loaded({ breakers });
    expect((await app.health()).breakers).toEqual([
      {
        repository: 'o/flaky',
        phase: 'open',
        failures: 2,
        since: new Date(NOW + MINUTE).toISOString(),
      },
    ]);
    clock.now = NOW + 12 * MINUTE;
    const report = await app.health();
    expect(report.breakers).toEqual([
      {
        repository: 'o/flaky',
        phase: 'half-open',
        failures: 2,
        since: new Date(NOW + 11 * MINUTE).toISOString(),
      },
    ]);
    expect(report.ok).toBe(true); // a repository's failures are not the App's
  });

  it("is unwell when the store says so, or when its check throws, with the store's words", async () => {
    const down = await loaded({
      storeHealth: () => Promise.resolve({ ok: false, detail: 'cannot write /var/lib/gantry' }),
    });
    expect(await down.app.health()).toMatchObject({
      ok: false,
      store: { kind: 'store', ok: false, detail: 'cannot write /var/lib/gantry' },
      problems: ['store: cannot write /var/lib/gantry'],
    });
    const broken = await loaded({ storeHealth: () => Promise.reject(new Error('timeout')) });
    expect((await broken.app.health()).problems).toEqual(['store: its check failed: timeout']);
  });

  it('is unwell when no sweep completed for two intervals and a minute', async () => {
    const { app, clock } = await loaded({ reconcileEveryMs: 10 * MINUTE });
    app.close();
    clock.now = NOW + 21 * MINUTE;
    expect((await app.health()).ok).toBe(true);
    clock.now = NOW + 22 * MINUTE;
    expect((await app.health()).problems).toEqual([
      expect.stringMatching(/^no sweep has completed for 22 minutes \(one is due every 10\)/),
    ]);
  });

  it('GET /healthz answers the report, 200 when well and 503 when not', async () => {
    let ok = true;
    const handler = healthzHandler(() =>
      Promise.resolve({
        ok,
        lastSweep: null,
        breakers: [],
        store: { kind: 'memory', ok: true },
        problems: ok ? [] : ['x'],
      }),
    );
    const server = createServer((req, res) => {
      void handler(req, res).then((handled) => handled || res.writeHead(404).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const well = await fetch(`${url}/healthz`);
      expect(well.status).toBe(200);
      expect(well.headers.get('content-type')).toBe('application/json');
      expect(await well.json()).toMatchObject({ ok: true });
      ok = false;
      expect((await fetch(`${url}/healthz?verbose`)).status).toBe(503);
      expect((await fetch(`${url}/other`)).status).toBe(404);
      expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
