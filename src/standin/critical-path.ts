/** The longest chain of a run, and how long it took. */
export interface CriticalPath {
  ms: number;
  /** The tasks of the chain, first to last (empty when the longest is work of no task). */
  tasks: string[];
}

/**
 * The critical path of a goal as it happened: the longest chain of tasks along the plan's
 * dependencies, each task counting what it really took (all its task runs and the CI runs on
 * its landings, one after the other as they were). Work of no task (CI on the base) is a chain of
 * its own. What the wall time can fairly be compared with: the sum of all runs counts the ones
 * that ran side by side as if they had waited for each other.
 */
export function criticalPath(
  tasks: readonly { id: string; dependsOn: readonly string[] }[],
  ms: ReadonlyMap<string, number>,
  other = 0,
): CriticalPath {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const best = new Map<string, CriticalPath>();
  const visit = (id: string, seen: Set<string>): CriticalPath => {
    const known = best.get(id);
    if (known) return known;
    const t = byId.get(id);
    let before: CriticalPath = { ms: 0, tasks: [] };
    for (const d of t?.dependsOn ?? [])
      if (byId.has(d) && !seen.has(d)) {
        const p = visit(d, new Set([...seen, d]));
        if (p.ms > before.ms) before = p;
      }
    const path = { ms: before.ms + (ms.get(id) ?? 0), tasks: [...before.tasks, id] };
    best.set(id, path);
    return path;
  };
  let longest: CriticalPath = { ms: other, tasks: [] };
  for (const t of tasks) {
    const p = visit(t.id, new Set([t.id]));
    if (p.ms > longest.ms) longest = p;
  }
  return longest;
}
