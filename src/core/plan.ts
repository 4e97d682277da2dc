import { z } from 'zod';
import { CriterionSchema, type Criterion } from './criteria.js';

/**
 * Documented limits of a plan. The task count keeps the plan comment (state included) under
 * GitHub's 65,536-character body limit; `validatePlan` also renders the comment to check it.
 */
export const PLAN_LIMITS = {
  tasks: 200,
  goalTitleChars: 256,
  goalBodyChars: 4000,
  taskTitleChars: 100,
  taskDescriptionChars: 2000,
  dependsOn: 20,
  criteriaPerTask: 10,
  scopePaths: 30,
  estimateMinutes: 24 * 60,
  requirements: 30,
  requirementChars: 300,
} as const;

export const TASK_ID = /^T[1-9]\d{0,3}$/;
export const TaskIdSchema = z.string().regex(TASK_ID, 'task ids look like T1, T2, ... T9999');

export const TierSchema = z.enum(['small', 'medium', 'large']);
export type Tier = z.infer<typeof TierSchema>;
export const RigorSchema = z.enum(['L1', 'L2', 'L3']);
export type Rigor = z.infer<typeof RigorSchema>;

const NO_COMMENTS = [
  (s: string) => !s.includes('<!--') && !s.includes('-->'),
  'must not contain HTML comments',
] as const;
/** Free text rendered in the plan comment, where HTML comments hold Gantry's markers. */
const prose = (max: number, min = 0) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine(...NO_COMMENTS);

/** Titles are one line: they are rendered inside a checklist line. */
const oneLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/[\r\n]/.test(s), 'must be a single line')
    .refine(...NO_COMMENTS);

/** The task schema over a criterion schema (the planner sends a non-recursive one to models). */
export const taskSchemaFor = (criterion: z.ZodType<Criterion>) =>
  z.strictObject({
    id: TaskIdSchema,
    title: oneLine(PLAN_LIMITS.taskTitleChars),
    description: prose(PLAN_LIMITS.taskDescriptionChars),
    dependsOn: z.array(TaskIdSchema).max(PLAN_LIMITS.dependsOn),
    tier: TierSchema,
    criteria: z.array(criterion).min(1).max(PLAN_LIMITS.criteriaPerTask),
    scope: z.array(z.string().trim().min(1).max(300)).max(PLAN_LIMITS.scopePaths),
    /** Expected agent time in minutes. */
    estimate: z.number().positive().max(PLAN_LIMITS.estimateMinutes),
    /**
     * The numbers of the plan's requirements this task covers (1 is the first). Traceability
     * only: the agent does not act on it, so it is not part of the approved definition.
     */
    covers: z
      .array(z.number().int().min(1).max(PLAN_LIMITS.requirements))
      .max(PLAN_LIMITS.requirements)
      .optional(),
  });
export const TaskSchema = taskSchemaFor(CriterionSchema);
export type Task = z.infer<typeof TaskSchema>;

export const PhaseSchema = z.strictObject({
  name: oneLine(100),
  tasks: z.array(TaskIdSchema).min(1),
});
export const RiskSchema = z.strictObject({
  risk: prose(500, 1),
  mitigation: prose(500, 1),
});

/** The plan schema over a task schema. */
export const planSchemaFor = (task: ReturnType<typeof taskSchemaFor>) =>
  z
    .strictObject({
      goal: z.strictObject({
        title: oneLine(PLAN_LIMITS.goalTitleChars),
        body: prose(PLAN_LIMITS.goalBodyChars),
      }),
      rigor: RigorSchema,
      /**
       * What the issue asks for, one requirement a line, numbered from 1 in this order; tasks
       * name the ones they cover. Plans made before requirements were traced have none.
       */
      requirements: z
        .array(oneLine(PLAN_LIMITS.requirementChars))
        .max(PLAN_LIMITS.requirements)
        .optional(),
      tasks: z.array(task),
      /** L2 and L3. */
      phases: z.array(PhaseSchema).max(20).optional(),
      openQuestions: z.array(prose(500, 1)).max(20).optional(),
      /** L3. */
      risks: z.array(RiskSchema).max(20).optional(),
      testStrategy: prose(2000, 1).optional(),
    })
    .superRefine((plan, ctx) => {
      const need = (key: 'phases' | 'openQuestions' | 'risks' | 'testStrategy', rigor: string) => {
        if (plan[key] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `rigor ${rigor} plans need '${key}'`,
          });
      };
      if (plan.rigor !== 'L1') {
        need('phases', plan.rigor);
        need('openQuestions', plan.rigor);
      }
      if (plan.rigor === 'L3') {
        need('risks', 'L3');
        need('testStrategy', 'L3');
      }
    });
export const PlanSchema = planSchemaFor(TaskSchema);
export type Plan = z.infer<typeof PlanSchema>;
