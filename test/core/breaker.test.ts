import { describe, expect, it } from 'vitest';
import {
  breakerGate,
  breakerRecordFailure,
  breakerRecordSuccess,
  breakerTryDispatch,
  closedBreaker,
  combineGates,
  type BreakerState,
} from '../../src/core/breaker.js';

const S = { threshold: 3, cooldownMs: 60_000 };

/** Advance a breaker through a script of ticks; time is data, no clock is read. */
function run(script: ('fail' | 'ok')[], start = 0): BreakerState {
  return script.reduce<BreakerState>(
    (b, what, k) =>
      what === 'fail' ? breakerRecordFailure(b, start + k, S) : breakerRecordSuccess(b),
    closedBreaker,
  );
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures, and a success resets the count', () => {
    expect(run(['fail', 'fail']).phase).toBe('closed');
    expect(run(['fail', 'fail', 'ok', 'fail', 'fail']).phase).toBe('closed');
    expect(run(['fail', 'fail', 'fail'])).toEqual({ phase: 'open', failures: 3, openedAt: 2 });
  });

  it('refuses dispatch while open, then allows exactly one trial after the cooldown', () => {
    const open = run(['fail', 'fail', 'fail']);
    const refused = breakerTryDispatch(open, 30_000, S);
    expect(refused.allowed).toBe(false);
    expect(refused.reason).toBe('circuit breaker open after 3 consecutive failures; trial in 31s');
    expect(breakerGate(open, 60_001, S)).toBe('open');
    expect(breakerGate(open, 60_002, S)).toBe('half-open');
    const trial = breakerTryDispatch(open, 60_002, S);
    expect(trial.allowed).toBe(true);
    const second = breakerTryDispatch(trial.state, 60_003, S);
    expect(second).toMatchObject({
      allowed: false,
      reason: 'circuit breaker half-open: a trial task is running',
    });
    // The trial decides: success closes, failure re-opens with a new cooldown.
    expect(breakerRecordSuccess(trial.state)).toEqual(closedBreaker);
    expect(breakerRecordFailure(trial.state, 70_000, S)).toEqual({
      phase: 'open',
      failures: 4,
      openedAt: 70_000,
    });
  });

  it('combines the repository and global gates, the stricter winning', () => {
    expect(combineGates('closed', 'closed')).toBe('closed');
    expect(combineGates('closed', 'half-open')).toBe('half-open');
    expect(combineGates('half-open', 'open')).toBe('open');
  });
});
