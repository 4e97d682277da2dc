/**
 * `npm start` (`node dist/app/main.js`, the committed bundle of this file: `npm run build:app`):
 * the Gantry App as a Probot server.
 *
 * - With `APP_ID`, `PRIVATE_KEY` (or `PRIVATE_KEY_PATH`), `WEBHOOK_SECRET` and `GANTRY_STATE_KEY`
 *   it serves webhooks (optionally through `WEBHOOK_PROXY_URL`), reconciles every active goal at
 *   start-up and every `GANTRY_RECONCILE_MINUTES` (default 10).
 * - With `GANTRY_SETUP=1` it runs Probot's manifest flow, which registers the App from `app.yml`.
 * - Anything missing or malformed stops it with one message listing what to fix: it never falls
 *   back to Probot's setup mode or development secret on its own.
 * - `GHE_HOST` and `GHE_PROTOCOL` point it at GitHub Enterprise Server.
 * - `GET /healthz` reports the store, the last sweep and the open breakers (503 when unwell).
 * - The store: PostgreSQL at `DATABASE_URL`, else embedded (PGlite) in `GANTRY_DATA_DIR`.
 */
import { run } from 'probot';
import { gantryApp } from './app.js';
import { GantryOctokit } from './github/gantry-octokit.js';
import { optionsFromEnv, StartupError, storeFromEnv } from './env.js';
import { GantryStore } from './store/store.js';
import { healthzHandler } from './healthz-handler.js';

async function main(): Promise<void> {
  if (process.env.GANTRY_SETUP === '1') {
    // Probot's manifest flow: open the printed URL to register the App from app.yml.
    await run(() => undefined);
    return;
  }
  const options = optionsFromEnv(process.env);
  const store = await GantryStore.open(storeFromEnv(process.env)).catch((e: unknown) => {
    throw new StartupError((e as Error).message);
  });
  // A burst of events is one plan-comment edit: progress waits for the first reconcile a minute
  // after the last edit (or the next sweep); a change of status or shape is written at once.
  const app = gantryApp({ ...options, store, planEditEveryMs: 60_000 });
  await run(
    (probot, { addHandler }) => {
      app(probot);
      addHandler(healthzHandler(() => app.health()));
    },
    { Octokit: GantryOctokit },
  );
  await app.reconcileAll();
}

main().catch((e: unknown) => {
  console.error(e instanceof StartupError ? `Gantry cannot start: ${e.message}` : e);
  process.exit(1);
});
