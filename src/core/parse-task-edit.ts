import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { EDITABLE_FIELDS, type TaskEdit } from './edit-task.js';
import { TaskSchema } from './plan.js';

/** The fields `/gantry edit T3` may set, each as the plan schema has it; unknown keys refused. */
const TaskEditSchema = TaskSchema.pick({
  title: true,
  description: true,
  tier: true,
  dependsOn: true,
  scope: true,
  criteria: true,
  covers: true,
}).partial();

/** The YAML of an edit, fenced (```yaml ... ```, prose after the fence is a note to people) or not. */
const FENCED = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n[ \t]*\1[ \t]*(?:\n|$)/;

const FIELDS = EDITABLE_FIELDS.map((f) => `\`${f}\``).join(', ');

/**
 * The fields after `/gantry edit T3`: YAML giving any of title, description, tier, dependsOn,
 * scope, criteria (as in the plan) and covers (the numbers of the requirements it covers). Each problem names its field and says what fits.
 */
export function parseTaskEdit(
  taskId: string,
  text: string,
): { ok: true; edit: TaskEdit } | { ok: false; problem: string } {
  const yaml = FENCED.exec(text)?.[2] ?? text;
  const fail = (problem: string) => ({ ok: false as const, problem });
  if (!yaml.trim())
    return fail(
      `\`edit ${taskId}\` needs the fields to change, as YAML on the lines after it (any of ${FIELDS}), such as \`tier: medium\``,
    );
  let data: unknown;
  try {
    data = parseYaml(yaml);
  } catch (e) {
    return fail(`the YAML after \`edit ${taskId}\` does not parse: ${(e as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return fail(
      `the YAML after \`edit ${taskId}\` must be a mapping of fields (any of ${FIELDS}), such as \`tier: medium\``,
    );
  const parsed = TaskEditSchema.safeParse(data);
  if (!parsed.success) return fail(problemsOf(taskId, parsed.error));
  if (Object.keys(parsed.data).length === 0)
    return fail(`\`edit ${taskId}\` changes nothing: give any of ${FIELDS}`);
  return { ok: true, edit: { taskId, ...parsed.data } };
}

function problemsOf(taskId: string, error: z.ZodError): string {
  return `the edit of ${taskId} is invalid: ${error.issues
    .map((i) => `\`${[taskId, ...i.path.map(String)].join('.')}\`: ${i.message}`)
    .join('; ')} (fields: ${FIELDS})`;
}
