import type { Criterion } from './criteria.js';
import type { Task, Tier } from './plan.js';
import { taskDefinitionHash } from './task-definition.js';

/** What a person changed in one task: the fields given replace the task's own. */
export interface TaskEdit {
  taskId: string;
  title?: string | undefined;
  description?: string | undefined;
  tier?: Tier | undefined;
  dependsOn?: string[] | undefined;
  scope?: string[] | undefined;
  criteria?: Criterion[] | undefined;
  covers?: number[] | undefined;
}

export const EDITABLE_FIELDS = [
  'title',
  'description',
  'tier',
  'dependsOn',
  'scope',
  'criteria',
  'covers',
] as const satisfies readonly (keyof TaskEdit & keyof Task)[];

/** The task with the edit's fields in place of its own (the same object when nothing differs). */
export function editTask(task: Task, edit: TaskEdit): Task {
  const next: Task = { ...task };
  for (const f of EDITABLE_FIELDS) if (edit[f] !== undefined) Object.assign(next, { [f]: edit[f] });
  // `covers` is not part of the definition's hash, so it is compared on its own.
  const same =
    taskDefinitionHash(next) === taskDefinitionHash(task) &&
    JSON.stringify(next.covers) === JSON.stringify(task.covers);
  return same ? task : next;
}
