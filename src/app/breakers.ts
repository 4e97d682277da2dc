import {
  breakerGate,
  breakerRecordFailure,
  breakerRecordSuccess,
  closedBreaker,
  combineGates,
  observeBreaker,
  type BreakerGate,
  type BreakerSettings,
  type BreakerState,
} from '../core/breaker.js';
import type { GantryStore } from './store/store.js';

/** The global breaker's defaults: many failures in a row across every repository. */
export const GLOBAL_BREAKER: BreakerSettings = { threshold: 10, cooldownMs: 30 * 60_000 };

/**
 * A repository's breaker as the config's defaults set it (`breaker:` in `.github/gantry.yml`):
 * how `/healthz` judges a breaker read from the store before any goal of its repository has
 * been reconciled since the start (its own settings are learnt then).
 */
export const REPO_BREAKER_DEFAULTS: BreakerSettings = { threshold: 3, cooldownMs: 30 * 60_000 };

/**
 * The circuit breakers of every repository and the global one (the App's store: GitHub holds no
 * place for them). Task outcomes feed them; each goal's gate is the stricter of its repository's
 * and the global one. With a store they are kept there, counted atomically (several replicas
 * count into the same breakers) and read again before each goal's reconcile, so a restart keeps
 * them; without one they live in memory and a restart closes them.
 */
export class BreakerBook {
  private readonly repos = new Map<string, BreakerState>();
  /** Each repository's settings as last used, to tell when its breaker half-opens. */
  private readonly settings = new Map<string, BreakerSettings>();
  private global: BreakerState = closedBreaker;
  /** Outcomes already counted, by effect key: a pass cut short reports its outcomes again. */
  private readonly counted = new Set<string>();

  constructor(
    private readonly globalSettings: BreakerSettings = GLOBAL_BREAKER,
    private readonly store?: Pick<GantryStore, 'breakers' | 'countOutcome'>,
  ) {}

  /** Read the breakers again from the store (another replica, or before a restart, counted). */
  async refresh(): Promise<void> {
    if (!this.store) return;
    const all = await this.store.breakers();
    for (const [scope, state] of all) {
      if (!state) continue;
      if (scope === GLOBAL_SCOPE) this.global = state;
      else this.repos.set(scope, state);
    }
  }

  /** Count one task outcome; one already counted under `key` is not counted twice. */
  async record(
    repo: string,
    ok: boolean,
    now: number,
    settings: BreakerSettings,
    key: string,
  ): Promise<void> {
    this.settings.set(repo, settings);
    const next = (b: BreakerState, s: BreakerSettings) =>
      ok ? breakerRecordSuccess(b) : breakerRecordFailure(b, now, s);
    if (this.store) {
      await this.store.countOutcome(key, [repo, GLOBAL_SCOPE], (scope, stored) => {
        const b =
          scope === GLOBAL_SCOPE
            ? next(stored ?? closedBreaker, this.globalSettings)
            : next(stored ?? closedBreaker, settings);
        if (scope === GLOBAL_SCOPE) this.global = b;
        else this.repos.set(scope, b);
        return b;
      });
      return;
    }
    this.countInMemory(key, () => {
      this.repos.set(repo, next(this.repos.get(repo) ?? closedBreaker, settings));
      this.global = next(this.global, this.globalSettings);
    });
  }

  private countInMemory(key: string, count: () => void): void {
    if (this.counted.has(key)) return;
    this.counted.add(key);
    // Bounded: a key matters only until its outcome.reported is written, within a pass or two.
    if (this.counted.size > 10_000) this.counted.delete(this.counted.values().next().value!);
    count();
  }

  gate(repo: string, now: number, settings: BreakerSettings): BreakerGate {
    this.settings.set(repo, settings);
    return combineGates(
      breakerGate(this.repos.get(repo) ?? closedBreaker, now, settings),
      breakerGate(this.global, now, this.globalSettings),
    );
  }

  /** The breakers not closed, for `/healthz`; `repository` is `*` for the global one. */
  snapshot(now: number): OpenBreaker[] {
    const all: [string, BreakerState, BreakerSettings][] = [
      ['*', this.global, this.globalSettings],
      ...[...this.repos].map(([r, b]): [string, BreakerState, BreakerSettings] => [
        r,
        b,
        this.settings.get(r) ?? REPO_BREAKER_DEFAULTS,
      ]),
    ];
    return all.flatMap(([repository, b, settings]) => {
      const cur = observeBreaker(b, now, settings);
      if (cur.phase === 'closed') return [];
      // Open since it opened; half-open since its cooldown ended (the state keeps no time).
      const since =
        b.phase === 'open'
          ? b.openedAt + (cur.phase === 'half-open' ? settings.cooldownMs : 0)
          : undefined;
      return [{ repository, phase: cur.phase, failures: cur.failures, since }];
    });
  }
}

/** The global breaker's scope in the store (a repository's is its full name). */
const GLOBAL_SCOPE = '*';

export interface OpenBreaker {
  /** `owner/name`, or `*` for the global breaker (failures across every repository). */
  repository: string;
  phase: 'open' | 'half-open';
  failures: number;
  /** When it opened or half-opened, if known (epoch ms). */
  since: number | undefined;
}
