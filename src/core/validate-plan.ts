import type { z } from 'zod';
import { Dag, DagError } from './dag.js';
import { PlanValidationError, type PlanProblem } from './plan-error.js';
import { PLAN_LIMITS, PlanSchema, type Plan } from './plan.js';

export type PlanResult = { ok: true; plan: Plan } | { ok: false; error: PlanValidationError };

/** Extra checks that need more than the plan itself (the comment-size check lives in the codec). */
export type PlanCheck = (plan: Plan) => PlanProblem[];

/**
 * Validate untrusted plan data (LLM output, a recovery injection, a parsed comment). Collects
 * every problem rather than stopping at the first, so one repair round can fix them all.
 */
export function validatePlan(input: unknown, checks: readonly PlanCheck[] = []): PlanResult {
  const parsed = PlanSchema.safeParse(input);
  if (!parsed.success) return fail(schemaProblems(parsed.error, input));
  const plan = parsed.data;
  const problems = structuralProblems(plan);
  if (problems.length === 0) for (const check of checks) problems.push(...check(plan));
  return problems.length > 0 ? fail(problems) : { ok: true, plan };
}

export function assertValidPlan(input: unknown, checks: readonly PlanCheck[] = []): Plan {
  const result = validatePlan(input, checks);
  if (!result.ok) throw result.error;
  return result.plan;
}

function fail(problems: PlanProblem[]): PlanResult {
  return { ok: false, error: new PlanValidationError(problems) };
}

function structuralProblems(plan: Plan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const { tasks } = plan;
  if (tasks.length === 0)
    return [
      { code: 'empty', path: 'tasks', message: 'the plan has no tasks; a plan needs at least one' },
    ];
  if (tasks.length > PLAN_LIMITS.tasks)
    problems.push({
      code: 'too-many-tasks',
      path: 'tasks',
      message: `the plan has ${tasks.length} tasks; at most ${PLAN_LIMITS.tasks} are allowed (merge small tasks or split the goal)`,
    });
  const seen = new Map<string, number>();
  tasks.forEach((t, i) => {
    const first = seen.get(t.id);
    if (first !== undefined)
      problems.push({
        code: 'duplicate-id',
        taskId: t.id,
        path: `tasks.${i}.id`,
        message: `${t.id} is used by tasks ${first} and ${i}; every task needs its own id`,
      });
    else seen.set(t.id, i);
  });
  tasks.forEach((t, i) =>
    t.dependsOn.forEach((d, k) => {
      if (d === t.id)
        problems.push({
          code: 'self-dependency',
          taskId: t.id,
          path: `tasks.${i}.dependsOn.${k}`,
          message: `${t.id} depends on itself`,
        });
      else if (!seen.has(d))
        problems.push({
          code: 'unknown-dependency',
          taskId: t.id,
          path: `tasks.${i}.dependsOn.${k}`,
          message: `${t.id} depends on ${d}, which is not in the plan`,
        });
    }),
  );
  (plan.phases ?? []).forEach((phase, p) =>
    phase.tasks.forEach((id, k) => {
      if (!seen.has(id))
        problems.push({
          code: 'unknown-phase-task',
          taskId: id,
          path: `phases.${p}.tasks.${k}`,
          message: `phase "${phase.name}" lists ${id}, which is not in the plan`,
        });
    }),
  );
  const requirements = plan.requirements?.length ?? 0;
  tasks.forEach((t, i) =>
    (t.covers ?? []).forEach((n, k) => {
      if (n > requirements)
        problems.push({
          code: 'unknown-requirement',
          taskId: t.id,
          path: `tasks.${i}.covers.${k}`,
          message: `${t.id} covers requirement ${n}, but the plan lists ${requirements === 0 ? 'no requirements' : `only ${requirements} (numbered from 1)`}`,
        });
    }),
  );
  if (problems.length > 0) return problems;
  try {
    Dag.of(tasks);
  } catch (e) {
    if (!(e instanceof DagError)) throw e;
    const i = tasks.findIndex((t) => t.id === e.taskId);
    problems.push({
      code: e.code,
      taskId: e.taskId,
      path: `tasks.${i}.dependsOn`,
      message: e.message,
    });
  }
  return problems;
}

function schemaProblems(error: z.ZodError, input: unknown): PlanProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const taskId = issue.path[0] === 'tasks' ? idAt(input, issue.path[1]) : undefined;
    return {
      code: 'schema',
      ...(taskId === undefined ? {} : { taskId }),
      path: path || '(plan)',
      message: taskId === undefined ? issue.message : `${taskId}: ${issue.message}`,
    };
  });
}

function idAt(input: unknown, index: PropertyKey | undefined): string | undefined {
  if (typeof index !== 'number' || typeof input !== 'object' || input === null) return undefined;
  const tasks = (input as { tasks?: unknown }).tasks;
  if (!Array.isArray(tasks)) return undefined;
  const task: unknown = tasks[index];
  const id = typeof task === 'object' && task !== null ? (task as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}
