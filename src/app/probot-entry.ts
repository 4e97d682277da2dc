/**
 * The app as a plain Probot app file, for `probot receive` (replaying a saved payload):
 * `npx probot receive -e issues -p payload.json dist/app/probot-entry.js`. Settings come from the
 * environment as for `npm start`; there is no timer, so the process ends when the work is done.
 */
import { gantryApp } from './app.js';
import { optionsFromEnv } from './env.js';

export default gantryApp({
  ...optionsFromEnv(process.env, { serving: false }),
  reconcileEveryMs: undefined,
});
