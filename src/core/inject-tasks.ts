import type { Plan, Task } from './plan.js';

/**
 * The plan after recovery injects `tasks` before `taskId`: the new tasks are appended and the
 * failed task depends on them. The reducer and the planner both validate this combined plan.
 * A new task that names no requirements covers those of the task it unblocks: it is work done
 * for them, and the PR body then lists it (and its commit) under them.
 */
export function injectTasks(plan: Plan, taskId: string, tasks: readonly Task[]): Plan {
  const newIds = tasks.map((t) => t.id);
  const covers = plan.tasks.find((t) => t.id === taskId)?.covers;
  const added = covers?.length
    ? tasks.map((t) => (t.covers === undefined ? { ...t, covers: [...covers] } : t))
    : tasks;
  return {
    ...plan,
    tasks: [
      ...plan.tasks.map((t) =>
        t.id === taskId ? { ...t, dependsOn: [...t.dependsOn, ...newIds] } : t,
      ),
      ...added,
    ],
  };
}
