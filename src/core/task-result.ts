import { z } from 'zod';
import { REFUSAL_LIMITS } from './path-policy.js';

/** `gantry-result.json`: what a task's agent job reports. Written by the Action, read by the App. */
export const TASK_RESULT_FILE = 'gantry-result.json';
export const TASK_PATCH_FILE = 'gantry.patch';

const OutcomeSchema: z.ZodType<{
  path: string;
  kind: string;
  passed: boolean;
  detail: string;
  children?: unknown[];
}> = z.lazy(() =>
  z.strictObject({
    path: z.string(),
    kind: z.string(),
    passed: z.boolean(),
    detail: z.string().max(2000),
    children: z.array(OutcomeSchema).optional(),
  }),
);

export const TaskResultSchema = z.strictObject({
  version: z.literal(1),
  goal: z.number().int().positive(),
  taskId: z.string(),
  attempt: z.number().int().positive(),
  /** success: criteria passed; partial: work done but criteria failed or a limit stopped it; failure: nothing usable. */
  status: z.enum(['success', 'partial', 'failure']),
  /** Why the run ended as it did, in a sentence. */
  reason: z.string().max(1000),
  backend: z.enum(['claude-code', 'anthropic', 'command']),
  model: z.string(),
  iterations: z.number().int().nonnegative(),
  criteria: z.strictObject({ passed: z.boolean(), outcomes: z.array(OutcomeSchema) }),
  summary: z.string().max(4000),
  filesChanged: z.array(z.string()).max(1000),
  /**
   * What the path policy refused in the final change, each naming its path and the fix (the
   * status is then failure). Clipped by the writer (`clipProblems`); absent in older results.
   */
  refused: z.array(z.string().max(REFUSAL_LIMITS.chars)).max(REFUSAL_LIMITS.count).optional(),
  patchBytes: z.number().int().nonnegative(),
  /**
   * How the agent was contained and what containment refused: `isolated` is false only in the
   * repository's explicit unisolated mode; `egressRefused` lists destinations (host:port) the
   * egress proxy refused, with counts; `gatewayRefused` counts model calls the gateway refused
   * (over the reservation, or not a model call). Absent in older results.
   */
  containment: z
    .strictObject({
      isolated: z.boolean(),
      egressRefused: z
        .array(
          z.strictObject({ destination: z.string().max(300), count: z.number().int().positive() }),
        )
        .max(50),
      gatewayRefused: z.number().int().nonnegative(),
    })
    .optional(),
  findings: z
    .array(
      z.strictObject({
        kind: z.enum(['constraint', 'decision', 'gotcha']),
        text: z.string().max(300),
      }),
    )
    .max(10),
  usage: z.strictObject({
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    cacheReadTokens: z.number().int().nonnegative(),
    cacheWriteTokens: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative(),
    turns: z.number().int().nonnegative(),
  }),
});
export type TaskResult = z.infer<typeof TaskResultSchema>;
