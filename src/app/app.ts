import { randomUUID } from 'node:crypto';
import type { Probot } from 'probot';
import type { AppDeps } from './goal-context.js';
import type { GitHubPort } from './github/github-port.js';
import { probotGitHub, type GitHubConnector } from './github/github-connector.js';
import { onWebhooks, type Delivery, type WebhookName } from './github/webhooks.js';
import { goalKey, type GoalRef } from './goal-facts.js';
import { GoalWorkers, storeUnavailable } from './goal-workers.js';
import type { Hint } from './hints.js';
import { reconcileGoal } from './reconcile.js';
import { reconcileQueued, toSchedule } from './queued-hints.js';
import { FIRST_LOOKBACK_MS, findActiveGoals } from './reconcile-all.js';
import { DeliveryLog, StateMemory } from './state-memory.js';
import { BreakerBook } from './breakers.js';
import { ConfigCache } from './config-cache.js';
import { configPushed } from './config-push.js';
import { KnownFacts } from './known-facts.js';
import { publishJobCompleted } from './publish-job-completed.js';
import { PublishJobs } from './publish-jobs.js';
import { healthReport, type HealthReport, type StoreHealth } from './health-report.js';
import { payloadProblem } from './webhook-shapes.js';
import { WEBHOOK_HINTS, type HintDeps, type HintTable, type Routed } from './webhook-hints.js';

export interface GantryAppOptions extends Omit<
  AppDeps,
  'memory' | 'now' | 'newGoalId' | 'breakers' | 'configs' | 'known' | 'jobs'
> {
  now?: () => number;
  /** The circuit breakers (default: fresh ones with the global defaults). */
  breakers?: BreakerBook;
  newGoalId?: () => string;
  /** Reconcile every active goal this often (default: only when `reconcileAll` is called). */
  reconcileEveryMs?: number | undefined;
  /** Called when a goal job fails for good (default: the app log). */
  onJobError?: (goal: string, error: unknown) => void;
  /** Waits before retrying a goal job after a transient GitHub failure. */
  retryDelaysMs?: readonly number[];
  /** How GitHub is reached (default: through Probot's clients). */
  github?: GitHubConnector;
  /** The store's own check, for `/healthz` (default: the store's, or none without one). */
  storeHealth?: () => Promise<StoreHealth>;
}

export interface GantryApp {
  (app: Probot): void;
  /** Resolves when every scheduled goal job has finished. */
  idle(): Promise<void>;
  /** Reconcile every goal with an active label in every installation (start-up and timer). */
  reconcileAll(): Promise<void>;
  /** Stop the timer. */
  close(): void;
  /** What `/healthz` answers: the store, the last sweep, the breakers not closed. */
  health(): Promise<HealthReport>;
}

interface Job {
  github: GitHubPort;
  ref: GoalRef;
}

/**
 * The Probot app. Handlers turn a webhook into a hint for its goal and return; the goal's worker
 * reconciles it against GitHub after the webhook is answered.
 */
export function gantryApp(options: GantryAppOptions): GantryApp {
  const configs = new ConfigCache();
  const deps: AppDeps = {
    planner: options.planner,
    stateKey: options.stateKey,
    serverUrl: options.serverUrl,
    now: options.now ?? Date.now,
    newGoalId: options.newGoalId ?? randomUUID,
    memory: new StateMemory(),
    configs,
    known: new KnownFacts(),
    jobs: new PublishJobs(),
    breakers: options.breakers ?? new BreakerBook(undefined, options.store),
    appId: options.appId,
    log: options.log,
    store: options.store,
    accountMonthlyUsd: options.accountMonthlyUsd,
    planEditEveryMs: options.planEditEveryMs,
  };
  const deliveries = new DeliveryLog();
  const storeHealth =
    options.storeHealth ?? (options.store ? () => options.store!.health() : undefined);
  /**
   * What to schedule for a delivery's hint to a goal. With a store, the hint is kept there until
   * a reconcile applies it (on whichever replica), and a redelivery of an applied one is dropped;
   * without one, a delivery seen before in this process is.
   */
  const keep = async (delivery: Delivery, ref: GoalRef, hint: Hint): Promise<Hint | undefined> => {
    if (!options.store) return hint;
    try {
      return toSchedule(await options.store.queueHint(delivery.id, goalKey(ref), hint), hint);
    } catch (err) {
      deps.log?.warn(
        { err, delivery: delivery.id },
        `the store could not keep delivery ${delivery.id}: ${errorText(err)}`,
      );
      // Applied here; a redelivery to this process meanwhile is known by its id, as without a store.
      return deliveries.first(`${delivery.id} ${goalKey(ref)}`) ? hint : undefined;
    }
  };
  let workers: GoalWorkers<Job> | undefined;
  let probot: Probot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastSweep: number | undefined;
  let loadedAt = deps.now();
  const github = options.github ?? probotGitHub;

  const schedule = (delivery: Delivery, ref: GoalRef, hint: Hint) =>
    workers!.schedule(goalKey(ref), { github: delivery.github(ref), ref }, hint);

  const fn = ((app: Probot) => {
    probot = app;
    loadedAt = deps.now();
    deps.log ??= app.log;
    workers = new GoalWorkers<Job>(
      (job) => {
        const reconcile = (hints: readonly Hint[]) => {
          app.log.debug(
            { goal: job.key, hints: hints.map((h) => h.kind) },
            `goal ${job.key}: reconcile (${hints.map((h) => h.kind).join(', ')})`,
          );
          return reconcileGoal(job.context.github, job.context.ref, hints, deps);
        };
        const { store } = options;
        if (!store) return reconcile(job.hints);
        // One replica at a time per goal; one that waits then applies what is still kept.
        return store.goalLock(job.key, () => reconcileQueued(store, job.key, job.hints, reconcile));
      },
      options.onJobError ?? ((key, e) => app.log.error({ err: e, goal: key }, 'goal job failed')),
      options.retryDelaysMs,
      (key, err, attempt, delayMs) =>
        (deps.log ?? app.log).warn(
          { err, goal: key, attempt, delayMs },
          `goal ${key}: ${storeUnavailable(err) ? 'the store' : 'GitHub'} failed for now (${errorText(err)}); retry ${attempt} in ${Math.round(delayMs / 1000)} s`,
        ),
    );
    onWebhooks(app, ['push'], github, (_name, _delivery, payload) => {
      // A new `.github/gantry.yml` on the default branch: the next reconcile reads it.
      const pushed = configPushed(payload);
      if (pushed && 'repo' in pushed) configs.forget(pushed.repo);
      else if (pushed) configs.forgetOwner(pushed.owner);
    });
    onWebhooks(app, ['workflow_job.completed'], github, (_name, _delivery, payload) => {
      // How a task run's publish job ended: the run's reconcile (woken by its `workflow_run`)
      // then need not list the run's jobs.
      const job = publishJobCompleted(payload);
      if (job) deps.jobs?.remember(job.repo, job.runId, job.runAttempt, job.conclusion);
    });
    registerHints(app, github, WEBHOOK_HINTS, async (delivery, routed) => {
      if (!options.store && !deliveries.first(delivery.id)) return;
      for (const { ref, hint } of routed(deps)) {
        const scheduled = await keep(delivery, ref, hint);
        if (scheduled) schedule(delivery, ref, scheduled);
      }
    });

    if (options.reconcileEveryMs) {
      timer = setInterval(
        () => void sweepIfDue(options.reconcileEveryMs!),
        options.reconcileEveryMs,
      );
      timer.unref();
    }
  }) as GantryApp;

  /**
   * The timer's sweep: with a store, replicas share it (the one that claims it sweeps; the
   * others count it as their last sweep, for /healthz).
   */
  const sweepIfDue = async (everyMs: number) => {
    if (options.store) {
      try {
        // A little early: timers of replicas started together drift past each other.
        const claim = await options.store.claimSweep(deps.now(), everyMs * 0.9);
        if (!claim.claimed) {
          lastSweep = Math.max(lastSweep ?? 0, claim.last);
          return;
        }
      } catch (err) {
        deps.log?.warn(
          { err },
          `the store could not share the sweep (${errorText(err)}): sweeping`,
        );
      }
    }
    await fn.reconcileAll();
  };
  fn.idle = () => workers?.idle() ?? Promise.resolve();
  fn.close = () => clearInterval(timer);
  fn.health = async () => {
    let store: StoreHealth | undefined;
    if (storeHealth)
      store = await storeHealth().catch((e: unknown) => ({
        ok: false,
        detail: `its check failed: ${errorText(e)}`,
      }));
    // The breakers as the store holds them (counted by another replica, or before a restart).
    await deps.breakers.refresh().catch(() => {});
    const now = deps.now();
    return healthReport({
      now,
      loadedAt,
      lastSweep,
      sweepEveryMs: options.reconcileEveryMs,
      breakers: deps.breakers.snapshot(now),
      store,
    });
  };
  fn.reconcileAll = async () => {
    if (!probot || !workers) throw new Error('the app is not loaded into Probot yet');
    const app = probot;
    const started = deps.now();
    const since = lastSweep ?? started - FIRST_LOOKBACK_MS;
    try {
      const onError = (where: string, err: unknown) =>
        app.log.error({ err, where }, 'sweep: skipped what could not be read');
      for await (const goal of findActiveGoals(github.app(app), { since, onError }))
        workers.schedule(goalKey(goal.ref), goal, { kind: 'poke' });
      lastSweep = started;
    } catch (e) {
      app.log.error({ err: e }, 'reconciling all goals failed');
    }
    // What the store needs only for a while: hints of deliveries GitHub may still redeliver (three days),
    // outcomes a pass cut short may report again, intents of dispatches.
    if (options.store)
      await Promise.all([
        options.store.pruneHints(3 * DAY_MS),
        options.store.pruneOutcomes(7 * DAY_MS),
        // An attempt's run is found or given up on within LOST_DISPATCH_MS (10 min): ample.
        options.store.pruneDispatchIntents(7 * DAY_MS),
      ]).catch((err: unknown) =>
        app.log.warn({ err }, `the store could not be pruned: ${errorText(err)}`),
      );
  };
  return fn;
}

/**
 * Register every rule of the table on Probot. `deliver` gets each delivery and the rule's hints
 * for it, worked out when asked (a delivery seen before is dropped first).
 */
function registerHints(
  app: Probot,
  connector: GitHubConnector,
  table: HintTable,
  deliver: (delivery: Delivery, routed: (deps: HintDeps) => Routed[]) => Promise<void>,
): void {
  const names = Object.keys(table) as WebhookName[];
  onWebhooks(app, names, connector, (name, delivery, payload) => {
    const problem = payloadProblem(name, payload);
    if (problem) {
      app.log.warn(
        { event: name, delivery: delivery.id, problem },
        `webhook ignored: the ${name} payload is not one Gantry can use (${problem})`,
      );
      return Promise.resolve();
    }
    // The table's type pairs each event with its payload; a lookup by name cannot see that.
    const toHints = table[name] as (p: unknown, deps: HintDeps) => Routed | Routed[] | undefined;
    return deliver(delivery, (deps) => {
      try {
        return [toHints(payload, deps) ?? []].flat();
      } catch (err) {
        app.log.warn(
          { err, event: name, delivery: delivery.id },
          `webhook ignored: reading the ${name} payload failed`,
        );
        return [];
      }
    });
  });
}

const DAY_MS = 24 * 3600_000;
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
