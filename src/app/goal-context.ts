import type { BreakerBook } from './breakers.js';
import type { Planner } from '../planner/planner.js';
import type { ConfigError, GantryConfig } from './config.js';
import type { ConfigCache } from './config-cache.js';
import type { GoalRef } from './goal-facts.js';
import type { GoalSession } from './goal-session.js';
import type { GitHubPort } from './github/github-port.js';
import type { GoalLog } from './goal-log.js';
import type { KnownFacts } from './known-facts.js';
import type { PublishJobs } from './publish-jobs.js';
import type { StateMemory } from './state-memory.js';
import type { GantryStore } from './store/store.js';

/** What the app is built with: injected, so tests run the real app offline. */
export interface AppDeps {
  /** The planner for a repository's config (Anthropic in production, scripted offline). */
  planner: (config: GantryConfig) => Planner;
  /** HMAC key of the hidden state in plan comments. */
  stateKey: string;
  /** Base of links (GitHub Enterprise has its own). */
  serverUrl?: string | undefined;
  now: () => number;
  /** A new goal's id (random in production, counted in tests). */
  newGoalId: () => string;
  memory: StateMemory;
  /**
   * Repositories' configs as last read, for reconciles of Gantry's own consequences (without it,
   * every reconcile reads the config).
   */
  configs?: ConfigCache | undefined;
  /**
   * Goals' issues and comments as the last reconcile left them, for reconciles of Gantry's own
   * consequences (without it, every reconcile reads them).
   */
  known?: KnownFacts | undefined;
  /**
   * How task runs' publish jobs ended, from `workflow_job` webhooks (without it, a finished run's
   * jobs are listed).
   */
  jobs?: PublishJobs | undefined;
  /** The repository and global circuit breakers. */
  breakers: BreakerBook;
  /** The App's id: its comments are told from other apps' by `performed_via_github_app`. */
  appId?: number | undefined;
  /** Where goal steps are logged (the App sets Probot's log when loaded). */
  log?: GoalLog | undefined;
  /**
   * The durable store (PGlite or PostgreSQL): what Gantry wrote per goal, breakers, deliveries,
   * timelines. Without one (unit tests) all of it lives in memory.
   */
  store?: GantryStore | undefined;
  /**
   * The App operator's cap on what the repositories of one installation (one account: a user or
   * an organization) may spend in a UTC month, across them all (`GANTRY_ACCOUNT_MONTHLY_USD`).
   */
  accountMonthlyUsd?: number | undefined;
  /** Plan-comment edits of a goal at most this often, but for changes of shape (`GoalSession`). */
  planEditEveryMs?: number | undefined;
}

/** Everything one reconcile of one goal works with. */
export interface GoalContext {
  /** GitHub, for the goal's repository. */
  github: GitHubPort;
  ref: GoalRef;
  session: GoalSession;
  deps: AppDeps;
  /** The repository's config, or why it is invalid. */
  config: { ok: true; value: GantryConfig } | { ok: false; error: ConfigError };
  /** The label that makes an issue a goal (readable even from an invalid config). */
  trigger: string;
}
