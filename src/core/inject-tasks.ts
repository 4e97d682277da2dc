import type { Plan, Task } from './plan.js';

/**
 * The plan after recovery injects `tasks` before `taskId`: the new tasks are appended and the
 * failed task depends on them. The reducer and the planner both validate this combined plan.
 */
export function injectTasks(plan: Plan, taskId: string, tasks: readonly Task[]): Plan {
  const newIds = tasks.map((t) => t.id);
  return {
    ...plan,
    tasks: [
      ...plan.tasks.map((t) =>
        t.id === taskId ? { ...t, dependsOn: [...t.dependsOn, ...newIds] } : t,
      ),
      ...tasks,
    ],
  };
}
