import fc from 'fast-check';
import type { Plan, Task, Tier } from '../../src/core/plan.js';

export function task(id: string, dependsOn: string[] = [], over: Partial<Task> = {}): Task {
  return {
    id,
    title: `Task ${id}`,
    description: `Do the work of ${id}.`,
    dependsOn,
    tier: 'small',
    criteria: [{ kind: 'command', run: 'npm test' }],
    scope: ['src/'],
    estimate: 10,
    ...over,
  };
}

export function plan(tasks: Task[], over: Partial<Plan> = {}): Plan {
  return { goal: { title: 'Add a feature', body: 'Make it so.' }, rigor: 'L1', tasks, ...over };
}

/** The 4-task diamond: T1 -> (T2, T3) -> T4. */
export const diamond = (): Plan =>
  plan([task('T1'), task('T2', ['T1']), task('T3', ['T1']), task('T4', ['T2', 'T3'])]);

const tiers: Tier[] = ['small', 'medium', 'large'];

/**
 * Random DAGs: task k may depend only on tasks before it, so every result is acyclic; ids are
 * shuffled against positions so no test can rely on T1 coming first.
 */
export function arbPlan(
  opts: { minTasks?: number; maxTasks?: number; maxDeps?: number } = {},
): fc.Arbitrary<Plan> {
  const { minTasks = 1, maxTasks = 12, maxDeps = 3 } = opts;
  return fc
    .integer({ min: minTasks, max: maxTasks })
    .chain((n) =>
      fc.tuple(
        fc.array(fc.uniqueArray(fc.nat({ max: 10_000 }), { maxLength: maxDeps }), {
          minLength: n,
          maxLength: n,
        }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: n, maxLength: n }),
        fc.array(fc.constantFrom(...tiers), { minLength: n, maxLength: n }),
        fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i + 1),
          { minLength: n, maxLength: n },
        ),
      ),
    )
    .map(([deps, estimates, tierList, ids]) => {
      const idOf = (k: number) => `T${ids[k]}`;
      return plan(
        deps.map((ds, k) =>
          task(idOf(k), k === 0 ? [] : [...new Set(ds.map((d) => idOf(d % k)))], {
            estimate: estimates[k]!,
            tier: tierList[k]!,
          }),
        ),
      );
    });
}
