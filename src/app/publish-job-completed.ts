import { z } from 'zod';
import { PUBLISH_JOB } from './publish-jobs.js';

const JobShape = z.looseObject({
  action: z.literal('completed'),
  repository: z.looseObject({ full_name: z.string() }),
  workflow_job: z.looseObject({
    run_id: z.number().int().positive(),
    run_attempt: z.number().int().positive(),
    name: z.string(),
    status: z.literal('completed'),
    conclusion: z.string().nullable(),
  }),
});

/**
 * What a `workflow_job` webhook says of a run's `publish` job: its run, attempt and conclusion,
 * when it is a completed job of that name; undefined otherwise (another job, not finished yet,
 * a payload GitHub would not send). Which workflow the job belongs to is not asked: only a task
 * run's id is ever looked up, and in a task run the job of that name is the publish job (the
 * listing it stands in for finds it by name too).
 */
export function publishJobCompleted(
  payload: unknown,
): { repo: string; runId: number; runAttempt: number; conclusion: string | null } | undefined {
  const p = JobShape.safeParse(payload);
  if (!p.success || p.data.workflow_job.name !== PUBLISH_JOB) return undefined;
  const j = p.data.workflow_job;
  return {
    repo: p.data.repository.full_name,
    runId: j.run_id,
    runAttempt: j.run_attempt,
    conclusion: j.conclusion,
  };
}
