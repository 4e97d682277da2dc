import { formatUsd, fromMicros } from './money.js';

/**
 * A goal's budget in micro-dollars: money is reserved before a task is dispatched (the task's
 * action gets the reservation as its hard spending limit), then settled with the real usage or
 * released. Invariant: reserved + spent <= cap.
 */
export interface Budget {
  capMicros: number;
  reservedMicros: number;
  spentMicros: number;
  /**
   * What planning the issue has cost (plan and replan calls), this goal's and the earlier goals'
   * on the same issue that it replaced: a cancel and relabel do not bring a fresh planning budget.
   */
  issuePlanningMicros?: number | undefined;
}

export type Reservation = { ok: true; budget: Budget } | { ok: false; reason: string };

export function availableMicros(b: Budget): number {
  return Math.max(0, b.capMicros - b.reservedMicros - b.spentMicros);
}

export function reserve(b: Budget, micros: number): Reservation {
  if (!Number.isInteger(micros) || micros < 0)
    throw new RangeError(`cannot reserve ${micros} micro-dollars`);
  if (micros > availableMicros(b))
    return {
      ok: false,
      reason: `needs ${formatUsd(fromMicros(micros))} but only ${formatUsd(fromMicros(availableMicros(b)))} of the ${formatUsd(fromMicros(b.capMicros))} goal budget is left`,
    };
  return { ok: true, budget: { ...b, reservedMicros: b.reservedMicros + micros } };
}

/**
 * Replace a reservation by the real cost. A cost above the reservation is still recorded (money
 * spent is spent), which is why the action is given the reservation as its limit.
 */
export function settle(b: Budget, reservedMicros: number, actualMicros: number): Budget {
  return {
    ...b,
    reservedMicros: Math.max(0, b.reservedMicros - reservedMicros),
    spentMicros: b.spentMicros + Math.max(0, actualMicros),
  };
}

export function release(b: Budget, reservedMicros: number): Budget {
  return settle(b, reservedMicros, 0);
}
