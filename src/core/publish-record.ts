import { z } from 'zod';

/**
 * `gantry-published.json`: what the publish job did with one attempt, uploaded as its own
 * artifact (`publishArtifactName`). Written by the Action's publish mode, read by the App, which
 * lands exactly the recorded commit (after checking its parent and paths) and explains a refusal.
 */
export const PUBLISH_RECORD_FILE = 'gantry-published.json';

/** The publish job's artifact for one attempt (the agent job's is `gantry-<goal>-<task>-<attempt>`). */
export const publishArtifactName = (goal: number, taskId: string, attempt: number) =>
  `gantry-publish-${goal}-${taskId}-${attempt}`;

const SHA = z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-character commit sha');

const base = {
  version: z.literal(1),
  goal: z.number().int().positive(),
  taskId: z.string(),
  attempt: z.number().int().positive(),
  /** The dispatch's distinct id, so a record cannot pass for another dispatch's. */
  distinctId: z.string().max(100),
};

export const PublishRecordSchema = z.discriminatedUnion('outcome', [
  /** The commit was pushed to `branch`; its parent is the attempt's base sha. */
  z.strictObject({
    ...base,
    outcome: z.literal('published'),
    branch: z.string().max(300),
    sha: SHA,
    parent: SHA,
    files: z.array(z.string()).max(10_000),
  }),
  /** The path policy refused the patch: each problem names its path and how to fix it. */
  z.strictObject({
    ...base,
    outcome: z.literal('refused'),
    problems: z.array(z.string().max(1000)).min(1).max(200),
  }),
  /** Nothing to publish (the agent changed nothing, or a partial result with publish-partial off). */
  z.strictObject({ ...base, outcome: z.literal('skipped'), reason: z.string().max(1000) }),
]);
export type PublishRecord = z.infer<typeof PublishRecordSchema>;
