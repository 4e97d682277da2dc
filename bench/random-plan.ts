import type { Plan, Task, Tier } from '../src/core/plan.js';
import { prng } from '../src/core/prng.js';

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
