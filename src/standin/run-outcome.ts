import { unzipSync } from 'fflate';
import { PUBLISH_RECORD_FILE, PublishRecordSchema } from '../core/publish-record.js';
import { TASK_RESULT_FILE, TaskResultSchema, type TaskResult } from '../core/task-result.js';
import { failedCriteria, type FailedCriterion } from './failed-criteria.js';
import type { WorkflowRun } from './workflow-run.js';

/** What the agent of a task run did, as a reader of the timeline needs it. */
export interface RunOutcome {
  outcome: 'success' | 'failure' | 'partial' | 'no change' | 'refused' | 'cancelled';
  /** Why, for anything but a success: the agent's reason, the policy's refusal, the failed job. */
  reason: string | undefined;
  /** The criteria that failed in the agent's last round, for a run that is not a success. */
  criteria?: FailedCriterion[];
}

/** A reason as one line, cut at a word, not in the middle of one. */
export function oneLine(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const cut = line.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/** The JSON file `file` of the first artifact whose name `name` accepts, if it can be read. */
function artifactJson(run: WorkflowRun, name: (n: string) => boolean, file: string): unknown {
  for (const a of run.artifacts.filter((x) => name(x.name))) {
    try {
      const bytes = unzipSync(a.zip, { filter: (f) => f.name === file })[file];
      if (bytes) return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch {
      // An unreadable artifact says nothing; the run's jobs say why.
    }
  }
  return undefined;
}

/**
 * The agent's outcome of a finished task run, read from its artifacts as the App reads them (the
 * agent's `gantry-result.json`, the publish job's record): a run whose workflow succeeded but
 * whose agent failed is a failure, with the agent's reason; a change the path policy refused is
 * a refusal, with its problems; an agent that changed nothing is "no change".
 */
export function runOutcome(run: WorkflowRun): RunOutcome {
  if (run.conclusion === 'cancelled')
    return { outcome: 'cancelled', reason: 'the run was cancelled' };
  const result = TaskResultSchema.safeParse(
    artifactJson(run, (n) => /^gantry-\d+-/.test(n), TASK_RESULT_FILE),
  );
  const o = agentOutcome(run, result.success ? result.data : undefined);
  const criteria = result.success ? failedCriteria(result.data) : [];
  // A refusal's reason is the policy's; the criteria of a refused change are beside the point.
  return criteria.length && o.outcome !== 'success' && o.outcome !== 'refused'
    ? { ...o, criteria }
    : o;
}

/** The agent's outcome and its reason, from its result and the publish job's record. */
function agentOutcome(run: WorkflowRun, r: TaskResult | undefined): RunOutcome {
  const record = PublishRecordSchema.safeParse(
    artifactJson(run, (n) => n.startsWith('gantry-publish-'), PUBLISH_RECORD_FILE),
  );
  if (!r) {
    const failed = run.jobs.filter((j) => j.conclusion === 'failure').map((j) => j.name);
    return {
      outcome: 'failure',
      reason: `the run left no readable ${TASK_RESULT_FILE}${failed.length ? ` (job ${failed.join(', ')} failed)` : ''}`,
    };
  }
  if (r.refused?.length) return { outcome: 'refused', reason: oneLine(`${r.refused.join('; ')}`) };
  if (record.success && record.data.outcome === 'refused')
    return { outcome: 'refused', reason: oneLine(record.data.problems.join('; ')) };
  if (r.status === 'failure') return { outcome: 'failure', reason: oneLine(r.reason) };
  if (r.filesChanged.length === 0 || (record.success && record.data.outcome === 'skipped'))
    return {
      outcome: 'no change',
      reason: oneLine(
        record.success && record.data.outcome === 'skipped' ? record.data.reason : r.reason,
      ),
    };
  if (r.status === 'partial') return { outcome: 'partial', reason: oneLine(r.reason) };
  if (run.conclusion !== 'success')
    return {
      outcome: 'failure',
      reason: `the agent succeeded but the run ended ${run.conclusion ?? 'unfinished'}`,
    };
  return { outcome: 'success', reason: undefined };
}
