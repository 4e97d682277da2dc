/**
 * The App's settings from the environment: `GANTRY_STATE_KEY` (required), `GANTRY_RECONCILE_MINUTES`,
 * `GHE_HOST`/`GHE_PROTOCOL` for links, and `ANTHROPIC_API_KEY` for the planner. Probot reads its
 * own (`APP_ID`, `PRIVATE_KEY`, `WEBHOOK_SECRET`, `WEBHOOK_PROXY_URL`, `PORT`…).
 */
import { AnthropicPlanner } from '../planner/anthropic-planner.js';
import type { GantryAppOptions } from './app.js';

export class StartupError extends Error {
  override name = 'StartupError';
}

/** The app's options from the environment, with a clear error for each thing that is wrong. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): GantryAppOptions {
  const stateKey = env.GANTRY_STATE_KEY ?? '';
  if (stateKey.length < 32)
    throw new StartupError(
      `GANTRY_STATE_KEY ${stateKey ? 'is too short' : 'is not set'}: it signs the goal state kept in plan comments and must be at least 32 characters. Generate one with \`openssl rand -hex 32\` and keep it: changing it makes the state of goals in flight unreadable.`,
    );
  const minutes = Number(env.GANTRY_RECONCILE_MINUTES ?? '10');
  if (!Number.isFinite(minutes) || minutes < 1)
    throw new StartupError(
      `GANTRY_RECONCILE_MINUTES must be a number of minutes, at least 1 (got "${env.GANTRY_RECONCILE_MINUTES}").`,
    );
  const appId = env.APP_ID ? Number(env.APP_ID) : undefined;
  if (appId !== undefined && !Number.isInteger(appId))
    throw new StartupError(`APP_ID must be the App's numeric id (got "${env.APP_ID}").`);
  return {
    stateKey,
    appId,
    serverUrl: env.GHE_HOST ? `${env.GHE_PROTOCOL ?? 'https'}://${env.GHE_HOST}` : undefined,
    reconcileEveryMs: minutes * 60_000,
    planner: (config) =>
      new AnthropicPlanner({ apiKey: env.ANTHROPIC_API_KEY, config: config.llm }),
  };
}
