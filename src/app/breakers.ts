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

/** The global breaker's defaults: many failures in a row across every repository. */
export const GLOBAL_BREAKER: BreakerSettings = { threshold: 10, cooldownMs: 30 * 60_000 };

/**
 * The circuit breakers of every repository and the global one (the App's store: GitHub holds no
 * place for them). Task outcomes feed them; each goal's gate is the stricter of its repository's
 * and the global one. They live in memory: a restart closes them.
 */
export class BreakerBook {
  private readonly repos = new Map<string, BreakerState>();
  /** Each repository's settings as last used, to tell when its breaker half-opens. */
  private readonly settings = new Map<string, BreakerSettings>();
  private global: BreakerState = closedBreaker;
  /** Outcomes already counted, by effect key: a pass cut short reports its outcomes again. */
  private readonly counted = new Set<string>();

  constructor(private readonly globalSettings: BreakerSettings = GLOBAL_BREAKER) {}

  /** Count one task outcome; one already counted under `key` is not counted twice. */
  record(repo: string, ok: boolean, now: number, settings: BreakerSettings, key?: string): void {
    if (key !== undefined) {
      if (this.counted.has(key)) return;
      this.counted.add(key);
      // Bounded: a key matters only until its outcome.reported is written, within a pass or two.
      if (this.counted.size > 10_000) this.counted.delete(this.counted.values().next().value!);
    }
    const b = this.repos.get(repo) ?? closedBreaker;
    this.settings.set(repo, settings);
    this.repos.set(repo, ok ? breakerRecordSuccess(b) : breakerRecordFailure(b, now, settings));
    this.global = ok
      ? breakerRecordSuccess(this.global)
      : breakerRecordFailure(this.global, now, this.globalSettings);
  }

  gate(repo: string, now: number, settings: BreakerSettings): BreakerGate {
    return combineGates(
      breakerGate(this.repos.get(repo) ?? closedBreaker, now, settings),
      breakerGate(this.global, now, this.globalSettings),
    );
  }

  /** The breakers not closed, for `/healthz`; `repository` is `*` for the global one. */
  snapshot(now: number): OpenBreaker[] {
    const all: [string, BreakerState, BreakerSettings | undefined][] = [
      ['*', this.global, this.globalSettings],
      ...[...this.repos].map(([r, b]): [string, BreakerState, BreakerSettings | undefined] => [
        r,
        b,
        this.settings.get(r),
      ]),
    ];
    return all.flatMap(([repository, b, settings]) => {
      const cur = settings ? observeBreaker(b, now, settings) : b;
      if (cur.phase === 'closed') return [];
      // Open since it opened; half-open since its cooldown ended (the state keeps no time).
      const since =
        b.phase === 'open'
          ? b.openedAt + (cur.phase === 'half-open' ? settings!.cooldownMs : 0)
          : undefined;
      return [{ repository, phase: cur.phase, failures: cur.failures, since }];
    });
  }
}

export interface OpenBreaker {
  /** `owner/name`, or `*` for the global breaker (failures across every repository). */
  repository: string;
  phase: 'open' | 'half-open';
  failures: number;
  /** When it opened or half-opened, if known (epoch ms). */
  since: number | undefined;
}
