/**
 * The App's settings from the environment, all checked at start-up: `APP_ID`, `PRIVATE_KEY` (or
 * `PRIVATE_KEY_PATH`), `WEBHOOK_SECRET`, `GANTRY_STATE_KEY`, `GANTRY_RECONCILE_MINUTES`,
 * `GHE_HOST`/`GHE_PROTOCOL`, and `ANTHROPIC_API_KEY` for the planner. Probot reads the first three
 * itself; they are checked here so a missing one stops the App instead of letting Probot fall
 * back to its development secret.
 */
import { readFileSync } from 'node:fs';
import { AnthropicPlanner } from '../planner/anthropic-planner.js';
import type { GantryAppOptions } from './app.js';

export class StartupError extends Error {
  override name = 'StartupError';
}

/** Probot's secret when none is set: anyone can sign webhooks with it. */
const DEVELOPMENT_SECRET = 'development';

/**
 * The app's options from the environment. Everything wrong is reported at once, each with how
 * to fix it. `serving: false` (replaying a payload with `probot receive`) needs no webhook secret.
 */
export function optionsFromEnv(
  env: NodeJS.ProcessEnv,
  { serving = true }: { serving?: boolean } = {},
): GantryAppOptions {
  const problems: string[] = [];
  const stateKey = env.GANTRY_STATE_KEY ?? '';
  if (stateKey.length < 32)
    problems.push(
      `GANTRY_STATE_KEY ${stateKey ? 'is too short' : 'is not set'}: it signs the goal state kept in plan comments and must be at least 32 characters. Generate one with \`openssl rand -hex 32\` and keep it: changing it makes the state of goals in flight unreadable.`,
    );
  const minutes = Number(env.GANTRY_RECONCILE_MINUTES ?? '10');
  if (!Number.isFinite(minutes) || minutes < 1)
    problems.push(
      `GANTRY_RECONCILE_MINUTES must be a number of minutes, at least 1 (got "${env.GANTRY_RECONCILE_MINUTES}").`,
    );
  const appId = Number(env.APP_ID);
  if (!env.APP_ID)
    problems.push(
      "APP_ID is not set: it is the App's numeric id (the App's settings page). To register a new App from app.yml, run `GANTRY_SETUP=1 npm start` (Probot's manifest flow).",
    );
  else if (!Number.isInteger(appId) || appId <= 0)
    problems.push(`APP_ID must be the App's numeric id (got "${env.APP_ID}").`);
  const keyProblem = privateKeyProblem(env);
  if (keyProblem) problems.push(keyProblem);
  if (serving && !env.WEBHOOK_SECRET)
    problems.push(
      "WEBHOOK_SECRET is not set: without it anyone could send the App webhooks. Set it to the secret in the App's settings (`openssl rand -hex 32` makes a new one).",
    );
  else if (serving && env.WEBHOOK_SECRET === DEVELOPMENT_SECRET)
    problems.push(
      `WEBHOOK_SECRET is "${DEVELOPMENT_SECRET}", Probot's well-known default: set the App's own secret.`,
    );
  const accountCap = env.GANTRY_ACCOUNT_MONTHLY_USD?.trim();
  const accountMonthlyUsd = accountCap ? Number(accountCap) : undefined;
  if (
    accountMonthlyUsd !== undefined &&
    !(Number.isFinite(accountMonthlyUsd) && accountMonthlyUsd > 0)
  )
    problems.push(
      `GANTRY_ACCOUNT_MONTHLY_USD must be a positive number of dollars, the most the repositories of one installation (one account) may spend in a UTC month (got "${accountCap}"); unset it for no such cap.`,
    );
  const serverUrl = enterpriseUrl(env, problems);
  if (problems.length)
    throw new StartupError(
      problems.length === 1 ? problems[0]! : `\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
  return {
    stateKey,
    appId,
    serverUrl,
    reconcileEveryMs: minutes * 60_000,
    ...(accountMonthlyUsd !== undefined ? { accountMonthlyUsd } : {}),
    planner: (config) =>
      new AnthropicPlanner({ apiKey: env.ANTHROPIC_API_KEY, config: config.llm }),
  };
}

/** Why the App's private key cannot be used, if it cannot. */
function privateKeyProblem(env: NodeJS.ProcessEnv): string | undefined {
  const fix =
    "Download one from the App's settings page (Private keys) and set PRIVATE_KEY_PATH to its file.";
  if (env.PRIVATE_KEY) {
    const text = env.PRIVATE_KEY.includes('PRIVATE KEY')
      ? env.PRIVATE_KEY
      : Buffer.from(env.PRIVATE_KEY, 'base64').toString('utf8'); // Probot takes base64 too.
    return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)
      ? undefined
      : `PRIVATE_KEY is not a PEM private key (nor one in base64). ${fix}`;
  }
  if (!env.PRIVATE_KEY_PATH) return `Neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set. ${fix}`;
  let text: string;
  try {
    text = readFileSync(env.PRIVATE_KEY_PATH, 'utf8');
  } catch (e) {
    return `PRIVATE_KEY_PATH "${env.PRIVATE_KEY_PATH}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). ${fix}`;
  }
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)
    ? undefined
    : `PRIVATE_KEY_PATH "${env.PRIVATE_KEY_PATH}" does not hold a PEM private key. ${fix}`;
}

/** GitHub Enterprise Server's base URL for links, or why `GHE_HOST`/`GHE_PROTOCOL` are wrong. */
function enterpriseUrl(env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const { GHE_HOST: host, GHE_PROTOCOL: protocol } = env;
  if (protocol !== undefined && protocol !== 'https' && protocol !== 'http')
    problems.push(`GHE_PROTOCOL must be "https" or "http" (got "${protocol}").`);
  if (host === undefined) {
    if (protocol !== undefined)
      problems.push(
        'GHE_PROTOCOL is set without GHE_HOST: set both for GitHub Enterprise Server, or neither for github.com.',
      );
    return undefined;
  }
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/.test(host)) {
    problems.push(
      `GHE_HOST must be a host name, with a port if needed, and no scheme or path (got "${host}"; e.g. "github.example.com", with GHE_PROTOCOL for http).`,
    );
    return undefined;
  }
  return `${protocol ?? 'https'}://${host}`;
}

/**
 * Where the store is: the PostgreSQL server of `DATABASE_URL` (several replicas share it), else
 * PGlite in `GANTRY_DATA_DIR` (default: systemd's `STATE_DIRECTORY`, else `.gantry-data` in the
 * working directory).
 */
export function storeFromEnv(env: NodeJS.ProcessEnv): { databaseUrl?: string; dataDir?: string } {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // said below
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:')
      throw new StartupError(
        'DATABASE_URL must be a PostgreSQL connection URL, postgres://user:password@host:5432/database (unset it to use the embedded store in GANTRY_DATA_DIR).',
      );
    return { databaseUrl: url };
  }
  return {
    dataDir: env.GANTRY_DATA_DIR?.trim() || env.STATE_DIRECTORY?.split(':')[0] || '.gantry-data',
  };
}
