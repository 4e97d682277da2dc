import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dag, DagError, ReadySet } from '../../src/core/dag.js';
import { arbPlan } from '../support/plans.js';

const nodes = (spec: Record<string, string[]>, est: Record<string, number> = {}) =>
  Object.entries(spec).map(([id, dependsOn]) => ({ id, dependsOn, estimate: est[id] ?? 1 }));

describe('Dag', () => {
  it('quotes the cycle path', () => {
    const err = (() => {
      try {
        Dag.of(nodes({ T1: [], T2: ['T4'], T3: ['T1'], T4: ['T2'] }));
      } catch (e) {
        return e as DagError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DagError);
    expect(err!.code).toBe('cycle');
    expect(err!.message).toBe('dependency cycle: T2 -> T4 -> T2');
  });

  it('refuses unknown, self and duplicate ids, naming the task', () => {
    expect(() => Dag.of(nodes({ T1: ['T9'] }))).toThrow(
      'T1 depends on T9, which is not in the plan',
    );
    expect(() => Dag.of(nodes({ T1: ['T1'] }))).toThrow('T1 depends on itself');
    expect(() => Dag.of([...nodes({ T1: [] }), ...nodes({ T1: [] })])).toThrow(
      'T1 is defined twice',
    );
  });

  it('computes waves and the critical path by estimate', () => {
    const dag = Dag.of(
      nodes({ A: [], B: ['A'], C: ['A'], D: ['B', 'C'], E: [] }, { A: 2, B: 10, C: 3, D: 1, E: 5 }),
    );
    expect(dag.waves()).toEqual([['A', 'E'], ['B', 'C'], ['D']]);
    expect(dag.criticalPath()).toEqual({ ids: ['A', 'B', 'D'], length: 13 });
  });

  it('follows the critical path exactly with fractional estimates', () => {
    const dag = Dag.of(nodes({ A: [], B: ['A'], C: ['B'] }, { A: 0.1, B: 0.2, C: 0.3 }));
    expect(dag.criticalPath().ids).toEqual(['A', 'B', 'C']);
  });

  it('orders every task after its dependencies (property)', () => {
    fc.assert(
      fc.property(arbPlan({ maxTasks: 40 }), (p) => {
        const dag = Dag.of(p.tasks);
        const order = dag.topoIds();
        expect(new Set(order).size).toBe(p.tasks.length);
        const pos = new Map(order.map((id, k) => [id, k]));
        for (const t of p.tasks)
          for (const d of t.dependsOn) expect(pos.get(d)!).toBeLessThan(pos.get(t.id)!);
        // Waves: every dependency sits in an earlier wave, and every task in wave k>0 has one in wave k-1.
        const wave = new Map(dag.waves().flatMap((w, k) => w.map((id) => [id, k] as const)));
        for (const t of p.tasks) {
          for (const d of t.dependsOn) expect(wave.get(d)!).toBeLessThan(wave.get(t.id)!);
          if (wave.get(t.id)! > 0)
            expect(t.dependsOn.some((d) => wave.get(d) === wave.get(t.id)! - 1)).toBe(true);
        }
        // The critical path is a real chain whose length is its estimate sum, and no chain is longer.
        const cp = dag.criticalPath();
        const byId = new Map(p.tasks.map((t) => [t.id, t]));
        cp.ids.slice(1).forEach((id, k) => expect(byId.get(id)!.dependsOn).toContain(cp.ids[k]));
        expect(cp.length).toBe(cp.ids.reduce((n, id) => n + byId.get(id)!.estimate, 0));
        const longest = new Map<string, number>();
        for (const id of order)
          longest.set(
            id,
            byId.get(id)!.estimate +
              Math.max(0, ...byId.get(id)!.dependsOn.map((d) => longest.get(d)!)),
          );
        expect(cp.length).toBe(Math.max(...longest.values()));
      }),
      { numRuns: 200 },
    );
  });
});

describe('ReadySet', () => {
  it('blocks transitive dependents of a failure while independent branches go on, then reports the stall', () => {
    const rs = new ReadySet(Dag.of(nodes({ A: [], B: ['A'], C: ['B'], D: [] })));
    expect(rs.ready()).toEqual(['A', 'D']);
    rs.start('A');
    rs.start('D');
    expect(rs.fail('A').sort()).toEqual(['B', 'C']);
    expect(rs.stalled().stalled).toBe(false);
    expect(rs.complete('D')).toEqual([]);
    expect(rs.stalled()).toEqual({
      stalled: true,
      reasons: ['B is blocked: A failed', 'C is blocked: A failed'],
    });
  });

  it('never runs a node before its dependencies and finishes every node (property)', () => {
    fc.assert(
      fc.property(arbPlan({ maxTasks: 40 }), fc.array(fc.nat(), { maxLength: 200 }), (p, picks) => {
        const dag = Dag.of(p.tasks);
        const rs = new ReadySet(dag);
        const done = new Set<string>();
        const running: string[] = [];
        let k = 0;
        while (done.size < p.tasks.length) {
          const ready = rs.ready();
          if (ready.length > 0 && (running.length === 0 || (picks[k++] ?? 0) % 2 === 0)) {
            const id = ready[(picks[k++] ?? 0) % ready.length]!;
            for (const d of p.tasks.find((t) => t.id === id)!.dependsOn)
              expect(done.has(d)).toBe(true);
            rs.start(id);
            running.push(id);
          } else {
            const [id] = running.splice((picks[k++] ?? 0) % running.length, 1);
            rs.complete(id!);
            done.add(id!);
          }
        }
        expect(rs.stalled().stalled).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('completes a node touching only its direct dependents', () => {
    // A star: one root, many leaves, plus a long unrelated chain. Completing the root must not
    // look at the chain: the counters of chain nodes stay untouched.
    const spec: Record<string, string[]> = { R: [] };
    for (let i = 0; i < 50; i++) spec[`L${i}`] = ['R'];
    for (let i = 0; i < 50; i++) spec[`C${i}`] = i === 0 ? [] : [`C${i - 1}`];
    const dag = Dag.of(nodes(spec));
    const touched: number[] = [];
    const unmet = new Proxy(
      dag.deps.map((d) => d.length),
      {
        set(target, prop, value) {
          touched.push(Number(prop));
          return Reflect.set(target, prop, value);
        },
      },
    );
    const rs = new ReadySet(dag);
    (rs as unknown as { unmet: number[] }).unmet = unmet;
    rs.start('R');
    expect(rs.complete('R')).toHaveLength(50);
    expect(touched).toHaveLength(dag.dependents[dag.index.get('R')!]!.length);
  });
});
