import { unzipSync } from 'fflate';
import type { GoalEvent } from '../core/events.js';
import {
  TASK_PATCH_FILE,
  TASK_RESULT_FILE,
  TaskResultSchema,
  type TaskResult,
} from '../core/task-result.js';
import type { GoalContext } from './goal-context.js';

/** The artifact the task workflow uploads for one attempt. */
export const artifactName = (goal: number, taskId: string, attempt: number) =>
  `gantry-${goal}-${taskId}-${attempt}`;

/** The largest result file Gantry reads (the Action's is a few kilobytes). */
const MAX_RESULT_BYTES = 1024 * 1024;
/** The largest patch read for a review; a bigger one is reviewed from its start. */
const MAX_PATCH_BYTES = 4 * 1024 * 1024;
const REVIEW_PATCH_CHARS = 60_000;

export interface RunFacts {
  status: string;
  conclusion: string | null;
}

/**
 * Read `gantry-result.json` from the attempt's artifact (a zip). Undefined with the reason when
 * there is none or it cannot be used: the attempt then counts as failed, with that reason.
 */
export async function readTaskResult(
  g: GoalContext,
  runId: number,
  taskId: string,
  attempt: number,
): Promise<{ result: TaskResult; patch: string } | { problem: string }> {
  const name = artifactName(g.ref.issue, taskId, attempt);
  const artifacts = await g.github.listRunArtifacts(runId, name);
  const artifact = artifacts.find((a) => a.name === name && !a.expired);
  if (!artifact) return { problem: `the run left no \`${name}\` artifact` };
  const zip = await g.github.downloadArtifact(artifact.id);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (f) =>
        (f.name === TASK_RESULT_FILE && f.originalSize <= MAX_RESULT_BYTES) ||
        (f.name === TASK_PATCH_FILE && f.originalSize <= MAX_PATCH_BYTES),
    });
  } catch (e) {
    return { problem: `the \`${name}\` artifact is not a readable zip (${(e as Error).message})` };
  }
  const bytes = files[TASK_RESULT_FILE];
  if (!bytes) return { problem: `the \`${name}\` artifact has no \`${TASK_RESULT_FILE}\`` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { problem: `\`${TASK_RESULT_FILE}\` is not JSON` };
  }
  const parsed = TaskResultSchema.safeParse(json);
  if (!parsed.success)
    return {
      problem: `\`${TASK_RESULT_FILE}\` does not match the result schema (${parsed.error.issues[0]?.message ?? ''})`,
    };
  const r = parsed.data;
  if (r.goal !== g.ref.issue || r.taskId !== taskId || r.attempt !== attempt)
    return {
      problem: `\`${TASK_RESULT_FILE}\` is for #${r.goal} ${r.taskId} attempt ${r.attempt}, not this attempt`,
    };
  const patch = files[TASK_PATCH_FILE];
  return {
    result: r,
    patch: patch ? new TextDecoder().decode(patch).slice(0, REVIEW_PATCH_CHARS) : '',
  };
}

/**
 * What a finished run means for its attempt. The agent's result decides, except that a run that
 * did not succeed (the publish job failed or was refused, the run was cancelled or timed out)
 * has pushed no usable task branch.
 */
export function finishedEvent(
  at: number,
  taskId: string,
  attempt: number,
  run: RunFacts,
  read: { result: TaskResult } | { problem: string },
): Extract<GoalEvent, { type: 'task.finished' }> {
  const base = { type: 'task.finished' as const, at, taskId, attempt };
  if ('problem' in read)
    return {
      ...base,
      outcome: 'failure',
      usage: { costUsd: 0 },
      summary: `the run ended ${run.conclusion ?? run.status}: ${read.problem}`,
    };
  const r = read.result;
  const usage = {
    costUsd: r.usage.costUsd,
    inputTokens: r.usage.inputTokens,
    outputTokens: r.usage.outputTokens,
  };
  if (r.status === 'success' && run.conclusion !== 'success')
    return {
      ...base,
      outcome: 'failure',
      usage,
      summary: `the agent succeeded but the run ended ${run.conclusion ?? run.status}, so no task branch was published`,
    };
  return {
    ...base,
    outcome: r.status,
    usage,
    summary: r.reason,
    ...(r.findings.length ? { findings: r.findings } : {}),
  };
}
