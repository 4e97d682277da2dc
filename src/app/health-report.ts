import type { OpenBreaker } from './breakers.js';

/** What the store says of itself (`GantryAppOptions.storeHealth`). */
export interface StoreHealth {
  ok: boolean;
  detail: string;
}

/** `/healthz`'s answer. */
export interface HealthReport {
  ok: boolean;
  /** The last sweep of every active goal that completed (ISO time), or null before the first. */
  lastSweep: string | null;
  /** Breakers that are open or half-open; closed ones are not listed. */
  breakers: {
    repository: string;
    phase: OpenBreaker['phase'];
    failures: number;
    since: string | null;
  }[];
  store: { kind: 'memory'; ok: true } | ({ kind: 'store' } & StoreHealth);
  /** Why `ok` is false, each with what to look at; empty when healthy. */
  problems: string[];
}

export interface HealthFacts {
  now: number;
  /** When the App was loaded: sweeps are due from then. */
  loadedAt: number;
  lastSweep: number | undefined;
  /** How often sweeps run, if on a timer. */
  sweepEveryMs: number | undefined;
  breakers: OpenBreaker[];
  /** Undefined when the App keeps its memory in the process (no store plugged in). */
  store: StoreHealth | undefined;
}

/**
 * Healthy unless the store is unwell or sweeps stopped succeeding (two intervals and a minute
 * without one). Open breakers are reported but are not unhealth: they are a repository's CI or
 * tasks failing, which restarting the App would not mend.
 */
export function healthReport(f: HealthFacts): HealthReport {
  const problems: string[] = [];
  if (f.store && !f.store.ok) problems.push(`store: ${f.store.detail}`);
  const sweptAt = f.lastSweep ?? f.loadedAt;
  if (f.sweepEveryMs !== undefined && f.now - sweptAt > 2 * f.sweepEveryMs + 60_000)
    problems.push(
      `no sweep has completed for ${Math.round((f.now - sweptAt) / 60_000)} minutes (one is due every ${Math.round(f.sweepEveryMs / 60_000)}): GitHub may be unreachable or the App's key refused; see the log's "reconciling all goals failed" lines.`,
    );
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    ok: problems.length === 0,
    lastSweep: iso(f.lastSweep),
    breakers: f.breakers.map((b) => ({ ...b, since: iso(b.since) })),
    store: f.store ? { kind: 'store', ...f.store } : { kind: 'memory', ok: true },
    problems,
  };
}
