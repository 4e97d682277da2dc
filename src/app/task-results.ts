import { unzipSync } from 'fflate';
import type { GoalEvent } from '../core/events.js';
import { containmentNote } from '../core/containment-note.js';
import {
  PUBLISH_RECORD_FILE,
  PublishRecordSchema,
  publishArtifactName,
  type PublishRecord,
} from '../core/publish-record.js';
import {
  TASK_PATCH_FILE,
  TASK_RESULT_FILE,
  TaskResultSchema,
  type TaskResult,
} from '../core/task-result.js';
import { TASK_WORKFLOW } from './start-goal.js';
import type { GoalContext } from './goal-context.js';
import type { Artifact, RunJob } from './github/github-port.js';
import { publishJobEnded } from './publish-job-ended.js';
import { PUBLISH_JOB } from './publish-jobs.js';

/** The artifact the task workflow uploads for one attempt. */
export const artifactName = (goal: number, taskId: string, attempt: number) =>
  `gantry-${goal}-${taskId}-${attempt}`;

/** The largest result or publish record Gantry reads (the Action's are a few kilobytes). */
const MAX_RESULT_BYTES = 1024 * 1024;
/** The largest patch read for a review; a bigger one is reviewed from its start. */
const MAX_PATCH_BYTES = 4 * 1024 * 1024;
const REVIEW_PATCH_CHARS = 60_000;

export interface RunFacts {
  status: string;
  conclusion: string | null;
  /** The run's attempt (1, or more after a re-run), when its webhook or GitHub said. */
  attempt?: number | undefined;
}

/** Which attempt a file must be about: a file for another one is not used. */
interface Attempt {
  taskId: string;
  attempt: number;
}

type Files = Record<string, Uint8Array>;

/** A finished run whose artifacts (the agent's result, the publish record) are read. */
export interface FinishedRun {
  id: number;
  /** The run's attempt, when known: a `workflow_job` webhook about it then stands for a request. */
  attempt?: number | undefined;
  /** The run's artifacts, listed once for every read. */
  artifacts: () => Promise<Artifact[]>;
  /** An artifact's zip, downloaded once for every read of it. */
  download: (artifactId: number) => Promise<Uint8Array>;
  /** The run's jobs, listed once for every check. */
  jobs: () => Promise<RunJob[]>;
}

/** A finished run's artifacts as listed and downloaded, per reconcile and run. */
interface RunArtifacts {
  listed?: Promise<Artifact[]> | undefined;
  zips: Map<number, Promise<Uint8Array>>;
}

/**
 * Shared by every read of a run in one reconcile (its `GoalContext`): the result read again for
 * recovery and for the comment that asks a person costs no second download. A finished run's
 * artifacts do not change.
 */
const readsOf = new WeakMap<GoalContext, Map<number, RunArtifacts>>();

export function finishedRun(g: GoalContext, id: number, attempt?: number): FinishedRun {
  let jobs: Promise<RunJob[]> | undefined;
  const runs = readsOf.get(g) ?? new Map<number, RunArtifacts>();
  readsOf.set(g, runs);
  const a: RunArtifacts = runs.get(id) ?? { zips: new Map() };
  runs.set(id, a);
  const { zips } = a;
  return {
    id,
    attempt,
    artifacts: () => (a.listed ??= g.github.listRunArtifacts(id)),
    download: (artifactId) => {
      const zip = zips.get(artifactId) ?? g.github.downloadArtifact(artifactId);
      zips.set(artifactId, zip);
      return zip;
    },
    jobs: () => (jobs ??= g.github.listRunJobs(id)),
  };
}

/** The named artifact of a run, unless there is none or it has expired. */
async function findArtifact(run: FinishedRun, name: string): Promise<Artifact | undefined> {
  return (await run.artifacts()).find((a) => a.name === name && !a.expired);
}

/** The named artifact of a run, unzipped (only the files `wanted` keeps); `missing` when none. */
async function readArtifact(
  run: FinishedRun,
  name: string,
  wanted: (file: string, size: number) => boolean,
): Promise<{ files: Files } | { problem: string } | 'missing'> {
  const artifact = await findArtifact(run, name);
  if (!artifact) return 'missing';
  const zip = await run.download(artifact.id);
  try {
    return { files: unzipSync(zip, { filter: (f) => wanted(f.name, f.originalSize) }) };
  } catch (e) {
    return { problem: `the \`${name}\` artifact is not a readable zip (${(e as Error).message})` };
  }
}

/** A JSON file of an artifact, checked against its schema. */
function parseJson<T>(
  bytes: Uint8Array,
  file: string,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
  },
): { value: T } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { problem: `\`${file}\` is not JSON` };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { value: parsed.data }
    : {
        problem: `\`${file}\` does not match its schema (${parsed.error.issues[0]?.message ?? ''})`,
      };
}

/**
 * The agent's result, the start of its patch and the diff stat of all of it, or why the attempt
 * has none that can be used.
 */
export type ResultRead =
  { result: TaskResult; patch: string; diffStat: string } | { problem: string };

const isResultFile = (f: string, size: number) =>
  (f === TASK_RESULT_FILE && size <= MAX_RESULT_BYTES) ||
  (f === TASK_PATCH_FILE && size <= MAX_PATCH_BYTES);

/**
 * Read `gantry-result.json` (and the patch) for an attempt. The publish job copies both next to
 * its record, so a run whose publish job succeeded is read in one download, its record included;
 * otherwise (no publish job ran, or an Action older than the copy) from the agent job's artifact.
 * When there is none or it cannot be used, the reason: the attempt then counts as failed with it.
 */
export async function readTaskResult(
  g: GoalContext,
  run: FinishedRun,
  taskId: string,
  attempt: number,
): Promise<ResultRead> {
  const a = { goal: g.ref.issue, taskId, attempt };
  const copy = await copiedResult(g, run, a);
  if (copy) return checkedResult(copy, publishArtifactName(g.ref.issue, taskId, attempt), a);
  const name = artifactName(g.ref.issue, taskId, attempt);
  const read = await readArtifact(run, name, isResultFile);
  if (read === 'missing') return { problem: `the run left no \`${name}\` artifact` };
  if ('problem' in read) return read;
  return checkedResult(read.files, name, a);
}

/**
 * The copy of the agent's files in the publish job's artifact, taken only from a publish job that
 * succeeded: its upload then replaced whatever else in the run had uploaded that name.
 */
async function copiedResult(
  g: GoalContext,
  run: FinishedRun,
  a: Attempt & { goal: number },
): Promise<Files | undefined> {
  const name = publishArtifactName(a.goal, a.taskId, a.attempt);
  if (!(await findArtifact(run, name)) || (await publishJobProblem(g, run))) return undefined;
  const read = await readArtifact(run, name, isResultFile);
  return read !== 'missing' && 'files' in read && read.files[TASK_RESULT_FILE]
    ? read.files
    : undefined;
}

/** The result file of an artifact, if it is about this goal, task and attempt. */
function checkedResult(files: Files, name: string, a: Attempt & { goal: number }): ResultRead {
  const bytes = files[TASK_RESULT_FILE];
  if (!bytes) return { problem: `the \`${name}\` artifact has no \`${TASK_RESULT_FILE}\`` };
  const parsed = parseJson(bytes, TASK_RESULT_FILE, TaskResultSchema);
  if ('problem' in parsed) return parsed;
  const r = parsed.value;
  if (r.goal !== a.goal || r.taskId !== a.taskId || r.attempt !== a.attempt)
    return {
      problem: `\`${TASK_RESULT_FILE}\` is for #${r.goal} ${r.taskId} attempt ${r.attempt}, not this attempt`,
    };
  const patchBytes = files[TASK_PATCH_FILE];
  const patch = patchBytes ? new TextDecoder().decode(patchBytes) : '';
  return {
    result: r,
    patch: patch.slice(0, REVIEW_PATCH_CHARS),
    diffStat: diffStat(patch, r.filesChanged),
  };
}

/** The most files a diff stat lists one by one. */
const DIFF_STAT_FILES = 30;

/**
 * `git diff --stat` of a patch, compact: a line per file (`path | +12 -3`, or `binary`), at most
 * 30, then the totals. Without a patch (none, or too large to read), the files the result lists.
 * The paths are the agent's: whoever shows the stat treats it as untrusted text.
 */
export function diffStat(patch: string, filesChanged: readonly string[] = []): string {
  const files: { path: string; added: number; removed: number; binary: boolean }[] = [];
  let file: (typeof files)[number] | undefined;
  let inHunk = false;
  for (const line of patch.split('\n')) {
    const header = /^diff --git a\/.* b\/(.*)$/.exec(line);
    if (header) {
      file = { path: header[1]!, added: 0, removed: 0, binary: false };
      files.push(file);
      inHunk = false;
    } else if (!file) continue;
    else if (line.startsWith('@@')) inHunk = true;
    else if (inHunk && line.startsWith('+')) file.added++;
    else if (inHunk && line.startsWith('-')) file.removed++;
    else if (!inHunk && (line.startsWith('Binary files ') || line === 'GIT binary patch'))
      file.binary = true;
    else if (!inHunk && line.startsWith('+++ b/')) file.path = line.slice(6);
  }
  if (files.length === 0)
    return filesChanged.length
      ? [
          ...filesChanged.slice(0, DIFF_STAT_FILES).map((p) => shortPath(p)),
          ...(filesChanged.length > DIFF_STAT_FILES
            ? [`… and ${filesChanged.length - DIFF_STAT_FILES} more`]
            : []),
          `${filesChanged.length} file${filesChanged.length === 1 ? '' : 's'} changed (lines not counted: no patch to read)`,
        ].join('\n')
      : '';
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  return [
    ...files
      .slice(0, DIFF_STAT_FILES)
      .map((f) => `${shortPath(f.path)} | ${f.binary ? 'binary' : `+${f.added} -${f.removed}`}`),
    ...(files.length > DIFF_STAT_FILES ? [`… and ${files.length - DIFF_STAT_FILES} more`] : []),
    `${files.length} file${files.length === 1 ? '' : 's'} changed, +${added} -${removed}`,
  ].join('\n');
}

/** A path as a diff stat shows it: a long one (git allows thousands of characters) elided. */
function shortPath(path: string, max = 160): string {
  if (path.length <= max) return path;
  const half = Math.floor((max - 1) / 2);
  return `${path.slice(0, half)}…${path.slice(-half)}`;
}

/** What the publish job recorded for an attempt, or why it cannot be used, or that there is none. */
export type PublishRead = { record: PublishRecord } | { problem: string } | 'missing';

/**
 * Read `gantry-published.json` from the publish job's artifact: it must be about this goal,
 * task, attempt and dispatch (its distinct id), or it is not used.
 */
export async function readPublishRecord(
  g: GoalContext,
  run: FinishedRun,
  a: Attempt & { distinctId: string },
): Promise<PublishRead> {
  const name = publishArtifactName(g.ref.issue, a.taskId, a.attempt);
  const read = await readArtifact(
    run,
    name,
    (f, size) => f === PUBLISH_RECORD_FILE && size <= MAX_RESULT_BYTES,
  );
  if (read === 'missing' || 'problem' in read) return read;
  const bytes = read.files[PUBLISH_RECORD_FILE];
  if (!bytes) return { problem: `the \`${name}\` artifact has no \`${PUBLISH_RECORD_FILE}\`` };
  const parsed = parseJson(bytes, PUBLISH_RECORD_FILE, PublishRecordSchema);
  if ('problem' in parsed) return parsed;
  const r = parsed.value;
  if (
    r.goal !== g.ref.issue ||
    r.taskId !== a.taskId ||
    r.attempt !== a.attempt ||
    r.distinctId !== a.distinctId
  )
    return {
      problem: `\`${PUBLISH_RECORD_FILE}\` is for #${r.goal} ${r.taskId} attempt ${r.attempt} (dispatch ${r.distinctId}), not #${g.ref.issue} ${a.taskId} attempt ${a.attempt} (dispatch ${a.distinctId})`,
    };
  // A record of a published commit counts only when the publish job itself succeeded: anything
  // else in the run that could upload an artifact of that name (a process the agent left behind
  // while the publish job was skipped) cannot name a commit to land.
  const notFromJob = r.outcome === 'published' ? await publishJobProblem(g, run) : undefined;
  if (notFromJob)
    return { problem: `${notFromJob}, so the record of a published commit did not come from it` };
  return { record: r };
}

/** Why the run's publish job did not succeed, or undefined when it did. */
async function publishJobProblem(g: GoalContext, run: FinishedRun): Promise<string | undefined> {
  const job = await publishJobEnded(g, run);
  if (job !== 'missing' && job.conclusion === 'success') return undefined;
  return `the run's \`${PUBLISH_JOB}\` job ${job !== 'missing' ? `ended ${job.conclusion ?? 'unfinished'}` : 'is missing'}`;
}

/** Whether the publish job's record is worth reading: it ran only for these results. */
export function publishes(result: TaskResult, publishPartial: boolean): boolean {
  return result.status === 'success' || (result.status === 'partial' && publishPartial);
}

type Finished = Extract<GoalEvent, { type: 'task.finished' }>;

/**
 * What a finished run means for its attempt. The agent's result decides, and a success lands only
 * the commit its publish job recorded: a run whose publish job refused the patch, recorded
 * nothing (an older task workflow), or did not succeed (the run was cancelled or timed out) has
 * nothing that may land, and fails with the reason.
 */
export function finishedEvent(
  at: number,
  a: Attempt & { goal: number },
  run: RunFacts,
  read: { result: TaskResult } | { problem: string },
  published: PublishRead | undefined,
): Finished {
  const base = { type: 'task.finished' as const, at, taskId: a.taskId, attempt: a.attempt };
  const ended = run.conclusion ?? run.status;
  if ('problem' in read)
    return {
      ...base,
      outcome: 'failure',
      usage: { costUsd: 0 },
      summary: `the run ended ${ended}: ${read.problem}`,
    };
  const r = read.result;
  // What containment refused goes with every reason given for the attempt.
  const note = containmentNote(r.containment);
  const told = (summary: string) => (note ? `${summary}; ${note}` : summary);
  const failedCriteria = failedCriteriaOf(r);
  const common = {
    ...base,
    usage: {
      costUsd: r.usage.costUsd,
      inputTokens: r.usage.inputTokens,
      outputTokens: r.usage.outputTokens,
    },
    ...(failedCriteria.length ? { failedCriteria } : {}),
  };
  const record =
    published && published !== 'missing' && 'record' in published ? published.record : undefined;
  // Refused by the publish job, or already by the agent job (the same policy, so the agent could
  // try to fix its change before giving up).
  const problems = record?.outcome === 'refused' ? record.problems : r.refused;
  const refused = problems?.length ? { refused: problems } : {};
  if (r.status !== 'success')
    return { ...common, outcome: r.status, summary: told(r.reason), ...refused };
  const failure = (summary: string): Finished => ({
    ...common,
    outcome: 'failure',
    summary: told(summary),
  });
  if (published !== undefined && published !== 'missing' && 'problem' in published)
    return failure(`the publish job's record cannot be used: ${published.problem}`);
  if (record?.outcome === 'refused')
    return { ...failure('the publish policy refused the patch'), ...refused };
  if (run.conclusion !== 'success')
    return failure(
      `the agent succeeded but the run ended ${ended}, so no task branch was published`,
    );
  if (!record)
    return failure(
      `the run left no \`${publishArtifactName(a.goal, a.taskId, a.attempt)}\` artifact: the task workflow is older than this Gantry. Update \`${TASK_WORKFLOW}\` from Gantry's repository (its publish job records the commit it pushes, which is the only one Gantry lands).`,
    );
  return {
    ...common,
    outcome: 'success',
    summary: told(r.reason),
    ...(r.findings.length ? { findings: r.findings } : {}),
    ...(record.outcome === 'published'
      ? { published: { sha: record.sha, parent: record.parent } }
      : {}),
  };
}

/** The criteria that failed, deepest first, as `criterion <path> (<kind>): <detail>`. */
export function failedCriteriaOf(r: TaskResult): string[] {
  const out: string[] = [];
  const walk = (o: TaskResult['criteria']['outcomes'][number]) => {
    const failedChildren = (o.children ?? []) as (typeof o)[];
    const before = out.length;
    for (const c of failedChildren) if (!c.passed) walk(c);
    if (!o.passed && out.length === before)
      out.push(`criterion ${o.path} (${o.kind}): ${o.detail}`);
  };
  for (const o of r.criteria.outcomes) if (!o.passed) walk(o);
  return out;
}
