import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { release, reserve, settle, type Budget } from '../../src/core/budget.js';
import {
  MemoryLedger,
  ledgerReserve,
  ledgerSettle,
  emptyLedger,
  periodsOf,
} from '../../src/core/ledger.js';
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

describe('repository ledger', () => {
  const caps = { dailyMicros: toMicros(10), monthlyMicros: toMicros(15) };
  const day1 = Date.UTC(2026, 10, 22, 12);
  const day2 = Date.UTC(2026, 10, 23, 12);

  it('caps spending per UTC day and per month, and names the cap that refused', () => {
    expect(periodsOf(day1)).toEqual({ day: '2026-11-22', month: '2026-11' });
    let l = emptyLedger;
    const a = ledgerReserve(l, { key: 'a', micros: toMicros(8), at: day1, caps });
    expect(a.ok).toBe(true);
    l = a.ok ? a.ledger : l;
    expect(ledgerReserve(l, { key: 'b', micros: toMicros(3), at: day1, caps })).toEqual({
      ok: false,
      reason:
        "the repository's daily budget ($10.00 for 2026-11-22) has $2.00 left; $3.00 is needed",
    });
    l = ledgerSettle(l, 'a', toMicros(6));
    const c = ledgerReserve(l, { key: 'c', micros: toMicros(9), at: day2, caps });
    expect(c.ok).toBe(true);
    const d = ledgerReserve(c.ok ? c.ledger : l, { key: 'd', micros: toMicros(1), at: day2, caps });
    expect(d).toEqual({
      ok: false,
      reason:
        "the repository's monthly budget ($15.00 for 2026-11) has $0.00 left; $1.00 is needed",
    });
  });

  it('holds a key once, so a retried reservation does not double-count', () => {
    const first = ledgerReserve(emptyLedger, { key: 'k', micros: 5, at: day1, caps });
    const l = first.ok ? first.ledger : emptyLedger;
    const again = ledgerReserve(l, { key: 'k', micros: 5, at: day1, caps });
    expect(again.ok && again.ledger).toBe(l);
  });

  it('never lets concurrent reservations over-commit (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4_000_000 }), { maxLength: 40 }),
        async (amounts) => {
          const ledger = new MemoryLedger();
          const results = await Promise.all(
            amounts.map((micros, k) =>
              ledger.reserve('o/r', { key: `t${k}`, micros, at: day1, caps }),
            ),
          );
          const granted = amounts.filter((_, k) => results[k]!.ok).reduce((n, m) => n + m, 0);
          expect(granted).toBeLessThanOrEqual(caps.dailyMicros);
          const st = await ledger.state('o/r');
          expect(st.periods['2026-11-22']?.reservedMicros ?? 0).toBe(granted);
        },
      ),
    );
  });
});
