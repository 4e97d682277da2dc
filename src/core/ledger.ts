import { formatUsd, fromMicros } from './money.js';

/** Spending caps per repository, per UTC day and per UTC month, in micro-dollars. */
export interface LedgerCaps {
  dailyMicros?: number | undefined;
  monthlyMicros?: number | undefined;
}

interface PeriodTotals {
  reservedMicros: number;
  spentMicros: number;
}

/** Serializable ledger of one repository: totals per period and the open holds. */
export interface LedgerState {
  periods: Record<string, PeriodTotals>;
  holds: Record<string, { periods: string[]; micros: number }>;
}

export const emptyLedger: LedgerState = { periods: {}, holds: {} };

/** The day and month a moment belongs to (UTC): `2026-11-22` and `2026-11`. */
export function periodsOf(at: number): { day: string; month: string } {
  const iso = new Date(at).toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

export type LedgerReservation = { ok: true; ledger: LedgerState } | { ok: false; reason: string };

/**
 * Hold `micros` against the day and month of `at`. Idempotent per key: holding the same key
 * again changes nothing, so a retried request cannot double-count.
 */
export function ledgerReserve(
  l: LedgerState,
  req: { key: string; micros: number; at: number; caps: LedgerCaps },
): LedgerReservation {
  if (l.holds[req.key]) return { ok: true, ledger: l };
  const { day, month } = periodsOf(req.at);
  for (const [period, cap, name] of [
    [day, req.caps.dailyMicros, 'daily'],
    [month, req.caps.monthlyMicros, 'monthly'],
  ] as const) {
    if (cap === undefined) continue;
    const t = l.periods[period] ?? { reservedMicros: 0, spentMicros: 0 };
    const left = cap - t.reservedMicros - t.spentMicros;
    if (req.micros > left)
      return {
        ok: false,
        reason: `the repository's ${name} budget (${formatUsd(fromMicros(cap))} for ${period}) has ${formatUsd(fromMicros(Math.max(0, left)))} left; ${formatUsd(fromMicros(req.micros))} is needed`,
      };
  }
  const periods = { ...l.periods };
  for (const p of [day, month]) {
    const t = periods[p] ?? { reservedMicros: 0, spentMicros: 0 };
    periods[p] = { ...t, reservedMicros: t.reservedMicros + req.micros };
  }
  return {
    ok: true,
    ledger: {
      periods,
      holds: { ...l.holds, [req.key]: { periods: [day, month], micros: req.micros } },
    },
  };
}

/** Turn a hold into spending (0 releases it). Unknown keys change nothing. */
export function ledgerSettle(l: LedgerState, key: string, actualMicros: number): LedgerState {
  const hold = l.holds[key];
  if (!hold) return l;
  const periods = { ...l.periods };
  for (const p of hold.periods) {
    const t = periods[p] ?? { reservedMicros: 0, spentMicros: 0 };
    periods[p] = {
      reservedMicros: Math.max(0, t.reservedMicros - hold.micros),
      spentMicros: t.spentMicros + Math.max(0, actualMicros),
    };
  }
  const holds = { ...l.holds };
  delete holds[key];
  return { periods, holds };
}

/**
 * The port the App's store implements (a file, a database). Implementations must make
 * `reserve` atomic: two concurrent reservations may never both take the last dollars.
 */
export interface BudgetLedger {
  reserve(
    repo: string,
    req: { key: string; micros: number; at: number; caps: LedgerCaps },
  ): Promise<LedgerReservation>;
  settle(repo: string, key: string, actualMicros: number): Promise<void>;
  state(repo: string): Promise<LedgerState>;
}

/**
 * In-memory ledger. Each operation reads and writes the state in one synchronous step, so
 * concurrent async callers are serialized by the event loop and can never over-commit.
 */
export class MemoryLedger implements BudgetLedger {
  private readonly repos = new Map<string, LedgerState>();

  reserve(
    repo: string,
    req: { key: string; micros: number; at: number; caps: LedgerCaps },
  ): Promise<LedgerReservation> {
    const result = ledgerReserve(this.repos.get(repo) ?? emptyLedger, req);
    if (result.ok) this.repos.set(repo, result.ledger);
    return Promise.resolve(result);
  }

  settle(repo: string, key: string, actualMicros: number): Promise<void> {
    this.repos.set(repo, ledgerSettle(this.repos.get(repo) ?? emptyLedger, key, actualMicros));
    return Promise.resolve();
  }

  state(repo: string): Promise<LedgerState> {
    return Promise.resolve(this.repos.get(repo) ?? emptyLedger);
  }
}
