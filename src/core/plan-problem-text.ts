import type { PlanProblem } from './plan-error.js';

/**
 * A plan problem in words for the person who wrote the plan: named by task id and field
 * (`T3.criteria.0.run: ...`) rather than by list index (`tasks.2.criteria.0.run`).
 */
export function planProblemText(tasks: readonly { id?: unknown }[], p: PlanProblem): string {
  const m = /^tasks\.(\d+)(.*)$/.exec(p.path);
  const id = m ? tasks[Number(m[1])]?.id : undefined;
  if (!m || typeof id !== 'string') return `${p.path}: ${p.message}`;
  const message = p.message.startsWith(`${id}: `) ? p.message.slice(id.length + 2) : p.message;
  return `${id}${m[2]}: ${message}`;
}
