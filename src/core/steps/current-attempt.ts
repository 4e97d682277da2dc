import type { Draft } from '../draft.js';
import type { TaskRun } from '../goal.js';
import { ignore, type Ignored } from './handler.js';

/** The index of the task if `attempt` is its current one and it is `status`; else why not. */
export function currentAttempt(
  d: Draft,
  taskId: string,
  attempt: number,
  status: TaskRun['status'],
): number | Ignored {
  const i = d.indexOf(taskId);
  if (i === undefined) return ignore('unknown-task', `${taskId} is not in the plan`);
  const t = d.task(i);
  if (attempt !== t.attempt)
    return ignore(
      'superseded',
      `${taskId} attempt ${attempt} is superseded by attempt ${t.attempt}`,
    );
  if (t.status !== status) return ignore('wrong-status', `${taskId} is ${t.status}, not ${status}`);
  return i;
}
