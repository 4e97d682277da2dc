import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Level } from 'pino';
import { createNodeMiddleware, Probot } from 'probot';
import { gantryApp, type GantryApp, type GantryAppOptions } from '../app/app.js';
import { GantryOctokit } from '../app/github/gantry-octokit.js';
import { GantryStore } from '../app/store/store.js';
import type { StandIn } from './stand-in.js';
import type { Chaos } from './webhook-sender.js';

export interface RunningApp {
  app: GantryApp;
  /** Where the App takes webhooks. */
  webhookUrl: string;
  /** Deliver webhooks and wait for the App, CI and runs until all is quiet (or `stop` holds). */
  settle(stop?: () => boolean): Promise<void>;
  /**
   * Settle, then sweep as the App's timer would, until `done` holds; an error after `rounds`
   * sweeps (a lost webhook is made up for by a sweep; a goal that never ends is a bug).
   */
  until(done: () => boolean, rounds?: number): Promise<void>;
  /** Stop the App's server (the stand-in stays). */
  close(): Promise<void>;
}

/**
 * The unmodified Gantry App in a real Probot, as `npm start` runs it: authenticated as the
 * stand-in's registered App (a JWT from its private key, then installation tokens), pointed at
 * the stand-in's API by base URL, serving webhooks over HTTP. Probot's write throttle (one write
 * a second, for GitHub's secondary limits) is off: the stand-in has no limits to respect.
 */
export async function runApp(
  standIn: StandIn,
  o: Omit<GantryAppOptions, 'appId'> & {
    chaos?: Chaos;
    seed?: number;
    logLevel?: Level | 'silent';
  },
): Promise<RunningApp> {
  const secret = 'stand-in-webhook-secret';
  // The App's default store, embedded PostgreSQL, in memory here (unless the caller keeps one).
  const own = o.store ? undefined : await GantryStore.open({});
  const app = gantryApp({
    ...o,
    // Production's minute, scaled to the stand-in's runs of seconds: bursts still coalesce.
    planEditEveryMs: o.planEditEveryMs ?? 10_000,
    store: o.store ?? own,
    appId: standIn.app.id,
    serverUrl: standIn.store.serverUrl,
  });
  const probot = new Probot({
    appId: standIn.app.id,
    privateKey: standIn.app.privateKey,
    baseUrl: standIn.apiUrl,
    secret,
    Octokit: GantryOctokit.defaults((opts: Record<string, unknown>) => ({
      ...opts,
      throttle: { ...(opts.throttle as object), enabled: false },
    })),
    log: pino({ level: o.logLevel ?? 'silent' }),
  });
  const middleware = await createNodeMiddleware(app, {
    probot,
    webhooksPath: '/api/github/webhooks',
  });
  const server = createServer((req, res) => void middleware(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  standIn.connect({ url: webhookUrl, secret, chaos: o.chaos, seed: o.seed });
  const settle = (stop?: () => boolean) => standIn.settle(() => app.idle(), stop);
  return {
    app,
    webhookUrl,
    settle,
    until: async (done, rounds = 30) => {
      for (let k = 0; k < rounds; k++) {
        await settle();
        if (done()) return;
        await app.reconcileAll();
      }
      throw new Error(`still not there after ${rounds} sweeps`);
    },
    close: async () => {
      app.close();
      await app.idle();
      await new Promise((r) => server.close(r));
      await own?.close();
    },
  };
}
