import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { release, reserve, settle, type Budget } from '../../src/core/budget.js';
import { toMicros } from '../../src/core/money.js';

describe('goal budget', () => {
  it('reserves, settles with the actual cost, and releases', () => {
    let b: Budget = { capMicros: toMicros(3), reservedMicros: 0, spentMicros: 0 };
    const r = reserve(b, toMicros(2));
    expect(r.ok).toBe(true);
    b = r.ok ? r.budget : b;
    expect(reserve(b, toMicros(1.5))).toEqual({
      ok: false,
      reason: 'needs $1.50 but only $1.00 of the $3.00 goal budget is left',
    });
    b = settle(b, toMicros(2), toMicros(0.25));
    expect(b).toEqual({ capMicros: 3_000_000, reservedMicros: 0, spentMicros: 250_000 });
    const again = reserve(b, toMicros(1));
    expect(again.ok && release(again.budget, toMicros(1))).toEqual(b);
  });

  it('never over-commits under any sequence of reserve, settle and release (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('reserve' as const),
        usd: fc.double({ min: 0, max: 5, noNaN: true }),
      }),
      fc.record({
        kind: fc.constant('settle' as const),
        pick: fc.nat(),
        share: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.array(op, { maxLength: 60 }),
        (cap, ops) => {
          let b: Budget = { capMicros: toMicros(cap), reservedMicros: 0, spentMicros: 0 };
          const open: number[] = [];
          for (const o of ops) {
            if (o.kind === 'reserve') {
              const r = reserve(b, toMicros(o.usd));
              if (r.ok) {
                b = r.budget;
                open.push(toMicros(o.usd));
              }
            } else if (open.length > 0) {
              const [held] = open.splice(o.pick % open.length, 1);
              // The action never spends more than its reservation: it is its hard limit.
              b =
                o.kind === 'settle'
                  ? settle(b, held!, Math.floor(held! * o.share))
                  : release(b, held!);
            }
            expect(b.reservedMicros + b.spentMicros).toBeLessThanOrEqual(b.capMicros);
            expect(b.reservedMicros).toBe(open.reduce((n, m) => n + m, 0));
          }
        },
      ),
    );
  });
});
