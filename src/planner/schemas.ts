import { z } from 'zod';
import { FlatCriterionSchema } from '../core/criteria.js';
import { FINDING_KINDS } from '../core/findings.js';
import { planSchemaFor, taskSchemaFor } from '../core/plan.js';

/**
 * What models are asked for: the core's plan and task schemas with composite criteria one level
 * deep, since strict output schemas cannot be recursive. Answers are then checked by the core.
 */
export const ModelTaskSchema = taskSchemaFor(FlatCriterionSchema);
export const ModelPlanSchema = planSchemaFor(ModelTaskSchema);

/** What the model answers for a failed attempt. */
export const RecoveryOutputSchema = z.strictObject({
  rootCause: z.string().trim().min(1).max(1000),
  action: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('retry'), guidance: z.string().trim().min(1).max(2000) }),
    z.strictObject({
      kind: z.literal('inject'),
      tasks: z.array(ModelTaskSchema).min(1).max(5),
      guidance: z.string().trim().max(2000).optional(),
    }),
    z.strictObject({ kind: z.literal('escalate'), question: z.string().trim().min(1).max(1000) }),
  ]),
});
export type RecoveryOutput = z.infer<typeof RecoveryOutputSchema>;

export { FINDING_KINDS };

export const KnowledgeOutputSchema = z.strictObject({
  findings: z
    .array(z.strictObject({ kind: z.enum(FINDING_KINDS), text: z.string().trim().min(1).max(300) }))
    .max(10),
});

export const ReviewOutputSchema = z.discriminatedUnion('verdict', [
  z.strictObject({ verdict: z.literal('PASSED') }),
  z.strictObject({
    verdict: z.literal('GAPS_FOUND'),
    feedback: z.string().trim().min(1).max(2000),
  }),
  z.strictObject({
    verdict: z.literal('HUMAN_NEEDED'),
    question: z.string().trim().min(1).max(1000),
  }),
]);
export type ReviewOutput = z.infer<typeof ReviewOutputSchema>;
