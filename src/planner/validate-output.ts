import type { z } from 'zod';
import { planFitsComment } from '../core/checklist/fits-comment.js';
import { injectTasks } from '../core/inject-tasks.js';
import type { Plan, Rigor } from '../core/plan.js';
import { validatePlan } from '../core/validate-plan.js';
import type { Recovery } from './planner.js';
import {
  KnowledgeOutputSchema,
  RecoveryOutputSchema,
  ReviewOutputSchema,
  type ReviewOutput,
} from './schemas.js';

/** A checked model answer: the value, or every problem in words the model can act on. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
}

export function checkPlan(data: unknown, rigor: Rigor): Checked<Plan> {
  const r = validatePlan(data, [planFitsComment]);
  if (!r.ok) return { ok: false, problems: r.error.problems.map((p) => `${p.path}: ${p.message}`) };
  if (r.plan.rigor !== rigor)
    return { ok: false, problems: [`rigor: the plan must be rigor ${rigor}, not ${r.plan.rigor}`] };
  return { ok: true, value: r.plan };
}

/** A recovery answer; injected tasks are validated together with the existing DAG. */
export function checkRecovery(data: unknown, plan: Plan, taskId: string): Checked<Recovery> {
  const parsed = RecoveryOutputSchema.safeParse(data);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error) };
  const { rootCause, action } = parsed.data;
  if (action.kind === 'inject') {
    const existing = new Set(plan.tasks.map((t) => t.id));
    const clash = action.tasks.filter((t) => existing.has(t.id)).map((t) => t.id);
    if (clash.length > 0)
      return {
        ok: false,
        problems: [
          `action.tasks: ${clash.join(', ')} already exist in the plan; new tasks need new ids`,
        ],
      };
    const combined = validatePlan(injectTasks(plan, taskId, action.tasks), [planFitsComment]);
    if (!combined.ok)
      return {
        ok: false,
        problems: combined.error.problems.map((p) => `action.tasks (with the plan): ${p.message}`),
      };
  }
  return { ok: true, value: { rootCause, action } };
}

export function checkKnowledge(data: unknown): Checked<z.infer<typeof KnowledgeOutputSchema>> {
  const parsed = KnowledgeOutputSchema.safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, problems: zodProblems(parsed.error) };
}

export function checkReview(data: unknown): Checked<ReviewOutput> {
  const parsed = ReviewOutputSchema.safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, problems: zodProblems(parsed.error) };
}
