export interface BreakerSettings {
  /** Consecutive task failures that open the breaker. */
  threshold: number;
  /** How long it stays open before one trial task may run. */
  cooldownMs: number;
}

export type BreakerState =
  | { phase: 'closed'; failures: number }
  | { phase: 'open'; failures: number; openedAt: number }
  | { phase: 'half-open'; failures: number; trialInFlight: boolean };

export const closedBreaker: BreakerState = { phase: 'closed', failures: 0 };

/** Advance time: an open breaker whose cooldown has passed becomes half-open. */
export function observeBreaker(b: BreakerState, now: number, s: BreakerSettings): BreakerState {
  if (b.phase === 'open' && now - b.openedAt >= s.cooldownMs)
    return { phase: 'half-open', failures: b.failures, trialInFlight: false };
  return b;
}

/**
 * Ask to start one task. Closed: yes. Open: no, until the cooldown. Half-open: exactly one trial
 * at a time; its outcome closes or re-opens the breaker.
 */
export function breakerTryDispatch(
  b: BreakerState,
  now: number,
  s: BreakerSettings,
): { allowed: boolean; state: BreakerState; reason?: string } {
  const cur = observeBreaker(b, now, s);
  if (cur.phase === 'closed') return { allowed: true, state: cur };
  if (cur.phase === 'open') {
    const left = Math.ceil((cur.openedAt + s.cooldownMs - now) / 1000);
    return {
      allowed: false,
      state: cur,
      reason: `circuit breaker open after ${cur.failures} consecutive failures; trial in ${left}s`,
    };
  }
  if (cur.trialInFlight)
    return {
      allowed: false,
      state: cur,
      reason: 'circuit breaker half-open: a trial task is running',
    };
  return { allowed: true, state: { ...cur, trialInFlight: true } };
}

export function breakerRecordSuccess(_b: BreakerState): BreakerState {
  return closedBreaker;
}

export function breakerRecordFailure(
  b: BreakerState,
  now: number,
  s: BreakerSettings,
): BreakerState {
  const failures = b.failures + 1;
  if (b.phase === 'half-open' || failures >= s.threshold)
    return { phase: 'open', failures, openedAt: now };
  if (b.phase === 'open') return { ...b, failures };
  return { phase: 'closed', failures };
}

/** What the goal reducer needs to know of a breaker: can it dispatch, and how many. */
export type BreakerGate = 'closed' | 'open' | 'half-open';

export function breakerGate(b: BreakerState, now: number, s: BreakerSettings): BreakerGate {
  return observeBreaker(b, now, s).phase;
}

/** The repository and global breakers gate together: the stricter one wins. */
export function combineGates(...gates: BreakerGate[]): BreakerGate {
  if (gates.includes('open')) return 'open';
  if (gates.includes('half-open')) return 'half-open';
  return 'closed';
}
