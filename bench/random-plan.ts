import type { Plan, Task, Tier } from '../src/core/plan.js';

/** Small seeded PRNG (mulberry32): benchmarks must be repeatable run to run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random DAG shaped like real plans: each task depends on up to `maxDeps` of the `window`
 * tasks before it, so width and depth both grow with size.
 */
export function randomPlan(
  n: number,
  seed: number,
  opts: { maxDeps?: number; window?: number; minutes?: [number, number] } = {},
): Plan {
  const { maxDeps = 3, window = 8, minutes = [10, 40] } = opts;
  const rnd = prng(seed);
  const tiers: Tier[] = ['small', 'medium', 'large'];
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const k = i === 0 ? 0 : Math.floor(rnd() * (maxDeps + 1));
    for (let j = 0; j < k; j++) deps.add(`T${Math.max(0, i - 1 - Math.floor(rnd() * window)) + 1}`);
    tasks.push({
      id: `T${i + 1}`,
      title: `Task ${i + 1}`,
      description: `Generated task ${i + 1}.`,
      dependsOn: [...deps],
      tier: tiers[Math.floor(rnd() * 3)]!,
      criteria: [{ kind: 'command', run: 'npm test' }],
      scope: [],
      estimate: minutes[0] + Math.floor(rnd() * (minutes[1] - minutes[0] + 1)),
    });
  }
  return { goal: { title: `Random goal ${seed}`, body: '' }, rigor: 'L1', tasks };
}
