/**
 * The app as a plain Probot app file, for `probot receive` (replaying a saved payload):
 * `npx probot receive -e issues -p payload.json dist/app/probot-entry.js`. Settings come from the
 * environment as for `npm start`, the store too: a replayed delivery meets the same caps, the
 * same last written states and the same record of applied deliveries as the running App. There
 * is no timer; the store is closed once nothing is left to do, and the process ends.
 */
import type { Probot } from 'probot';
import { gantryApp } from './app.js';
import { optionsFromEnv, StartupError, storeFromEnv } from './env.js';
import { GantryStore } from './store/store.js';

/** Says what is wrong, without a stack trace, and ends the replay. */
function refuse(message: string): never {
  console.error(`Gantry cannot replay the payload: ${message}`);
  process.exit(1);
}

let options: ReturnType<typeof optionsFromEnv>;
let where: ReturnType<typeof storeFromEnv>;
try {
  options = optionsFromEnv(process.env, { serving: false });
  where = storeFromEnv(process.env);
} catch (e) {
  if (!(e instanceof StartupError)) throw e;
  refuse(e.message);
}
const store = await GantryStore.open(where).catch((e: unknown) =>
  refuse(
    `${(e as Error).message}${where.dataDir ? ' (while the App runs on this data directory, redeliver from the App\'s settings on GitHub, "Recent Deliveries", instead)' : ''}`,
  ),
);
// The event loop empties once the goal work is done: close the store then (PGlite checkpoints
// its directory and frees it; PostgreSQL's pools end).
process.once('beforeExit', () => {
  store
    .close()
    .catch((e: unknown) => console.error(`Gantry could not close the store: ${String(e)}`));
});

const app = gantryApp({
  ...options,
  store,
  reconcileEveryMs: undefined,
});

export default (probot: Probot) => app(probot);
