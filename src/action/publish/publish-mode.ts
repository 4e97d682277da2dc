import * as core from '@actions/core';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TaskBranch } from '../../core/names.js';
import { checkChange, clipProblems } from '../../core/path-policy.js';
import {
  PUBLISH_RECORD_FILE,
  PublishRecordSchema,
  type PublishRecord,
} from '../../core/publish-record.js';
import {
  TASK_PATCH_FILE,
  TASK_RESULT_FILE,
  TaskResultSchema,
  type TaskResult,
} from '../../core/task-result.js';
import { git } from '../git.js';
import { policyOf, type PublishInputs } from '../inputs.js';
import { readChange } from '../read-change.js';
import { pushWithToken } from './push-with-token.js';

export type PublishOutcome =
  | { published: true; branch: string; sha: string; parent: string; files: string[] }
  | { published: false; reason: string };

/** The path policy refused the patch; `problems` each name a path and what to do. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    taskId: string,
    readonly problems: string[],
  ) {
    super(`the patch of ${taskId} was refused:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  }
}

const BOT = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/**
 * The publish job (contents: write, no LLM key): apply the agent's patch on the base sha, refuse
 * what the path policy forbids, commit as `gantry(T3): title` with trailers, and push
 * `gantry/<issue>/<task>/<attempt>`. The App, not this job, merges it (so CI runs on the merge).
 * Whatever it decides (published, refused, skipped) is written to `gantry-published.json` in
 * `output-dir` before the job ends, so the App lands exactly the pushed commit or explains why
 * there is none; a refusal still fails the job, after the record is written. A copy of the
 * agent's result and patch goes next to the record, so the App reads this one artifact, not two.
 */
export async function runPublishJob(
  inputs: PublishInputs,
  workspace: string,
): Promise<PublishOutcome> {
  const result = await readResult(inputs['result-dir']);
  const outcome = await publish(inputs, workspace, result).catch(async (e: unknown) => {
    if (e instanceof PolicyError)
      // Clipped to what the record may hold: a record that does not validate is never written.
      await writeRecord(inputs, { outcome: 'refused', problems: clipProblems(e.problems) });
    throw e;
  });
  await writeRecord(
    inputs,
    outcome.published
      ? {
          outcome: 'published',
          branch: outcome.branch,
          sha: outcome.sha,
          parent: outcome.parent,
          files: outcome.files.slice(0, 10_000),
        }
      : { outcome: 'skipped', reason: outcome.reason.slice(0, 1000) },
  );
  core.setOutput('published', String(outcome.published));
  if (outcome.published) {
    core.setOutput('branch', outcome.branch);
    core.setOutput('sha', outcome.sha);
    core.info(`Pushed ${outcome.branch} at ${outcome.sha} (${outcome.files.length} files)`);
  } else {
    core.setOutput('reason', outcome.reason);
    core.notice(`Nothing published: ${outcome.reason}`);
  }
  return outcome;
}

type RecordBody = DistributiveOmit<
  PublishRecord,
  'version' | 'goal' | 'taskId' | 'attempt' | 'distinctId'
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Write `gantry-published.json`, checked against the schema the App reads it with, after a copy
 * of the agent's files it was about.
 */
async function writeRecord(inputs: PublishInputs, body: RecordBody): Promise<void> {
  const record = PublishRecordSchema.parse({
    version: 1,
    goal: inputs.goal,
    taskId: inputs['task-id'],
    attempt: inputs.attempt,
    distinctId: inputs['distinct-id'],
    ...body,
  });
  const dir = inputs['output-dir'];
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, PUBLISH_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  core.setOutput('record', join(dir, PUBLISH_RECORD_FILE));
  // A convenience for the App (one download instead of two): without it, the App reads the agent
  // job's artifact as before, so a copy that fails never costs the record.
  await copyAgentFiles(inputs['result-dir'], dir).catch((e: unknown) =>
    core.warning(`Could not copy the agent's result next to the publish record: ${String(e)}`),
  );
}

/** Copy the agent's result and patch (when there is one) byte for byte from `from` to `to`. */
async function copyAgentFiles(from: string, to: string): Promise<void> {
  if (resolve(from) === resolve(to)) return; // already there (copying onto itself would empty it)
  await copyFile(join(from, TASK_RESULT_FILE), join(to, TASK_RESULT_FILE));
  await copyFile(join(from, TASK_PATCH_FILE), join(to, TASK_PATCH_FILE)).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  });
}

async function publish(
  inputs: PublishInputs,
  workspace: string,
  result: TaskResult,
): Promise<PublishOutcome> {
  if (
    result.taskId !== inputs['task-id'] ||
    result.attempt !== inputs.attempt ||
    result.goal !== inputs.goal
  )
    throw new Error(
      `the result is for goal #${result.goal} ${result.taskId} attempt ${result.attempt}, not #${inputs.goal} ${inputs['task-id']} attempt ${inputs.attempt}`,
    );
  if (result.status === 'failure')
    return { published: false, reason: `the agent run failed: ${result.reason}` };
  if (result.status === 'partial' && !inputs['publish-partial'])
    return {
      published: false,
      reason: `the agent run is partial (${result.reason}) and publish-partial is off`,
    };
  const patchPath = join(inputs['result-dir'], TASK_PATCH_FILE);
  const patchBytes = (await stat(patchPath)).size;
  if (patchBytes === 0) return { published: false, reason: 'the agent changed nothing' };
  const dirty = (await git(workspace, ['status', '--porcelain'])).trim();
  if (dirty)
    throw new Error(
      `the publish job needs a clean checkout of the repository, but it has changes:\n${dirty.split('\n').slice(0, 10).join('\n')}`,
    );
  await git(workspace, ['checkout', '--quiet', '--detach', inputs['base-sha']]);
  const parent = (await git(workspace, ['rev-parse', 'HEAD'])).trim();
  // Apply to the index first, then judge exactly what changed: every path of a rename or copy
  // (no rename detection), names with any character, modes, sizes and symlink targets.
  await git(workspace, ['apply', '--index', '--binary', '--whitespace=nowarn', patchPath]);
  const tree = (await git(workspace, ['write-tree'])).trim();
  const entries = await readChange(workspace, parent, tree);
  const verdict = checkChange(entries, patchBytes, policyOf(inputs));
  if (!verdict.ok) {
    await git(workspace, ['reset', '--quiet', '--hard', 'HEAD']);
    throw new PolicyError(inputs['task-id'], verdict.problems);
  }
  const message = commitMessage(inputs, result);
  const messageFile = join(
    process.env.RUNNER_TEMP ?? inputs['result-dir'],
    `gantry-commit-${inputs['task-id']}.txt`,
  );
  await writeFile(messageFile, message);
  const who = ['-c', `user.name=${BOT.name}`, '-c', `user.email=${BOT.email}`];
  await git(workspace, [...who, 'commit', '--quiet', '--no-verify', '--file', messageFile]);
  const sha = (await git(workspace, ['rev-parse', 'HEAD'])).trim();
  const branch = new TaskBranch(inputs.goal, inputs['task-id'], inputs.attempt).toString();
  // The branch belongs to this attempt: a re-run of the same attempt replaces it.
  await pushWithToken(workspace, inputs.remote, inputs['github-token'], [
    'push',
    '--force',
    '--quiet',
    inputs.remote,
    `HEAD:refs/heads/${branch}`,
  ]);
  return { published: true, branch, sha, parent, files: entries.map((e) => e.path) };
}

export function commitMessage(inputs: PublishInputs, result: TaskResult): string {
  const body = result.summary.trim() ? `\n\n${result.summary.trim().slice(0, 2000)}` : '';
  const trailers = [
    `Gantry-Goal: ${inputs.goal}`,
    `Gantry-Task: ${inputs['task-id']}`,
    `Gantry-Attempt: ${inputs.attempt}`,
  ];
  if (result.status === 'partial')
    trailers.push(`Gantry-Status: partial (${result.reason.slice(0, 200)})`);
  if (inputs.approver)
    trailers.push(
      `Co-authored-by: ${inputs.approver} <${inputs.approver}@users.noreply.github.com>`,
    );
  return `gantry(${inputs['task-id']}): ${inputs.title.replace(/\r?\n/g, ' ')}${body}\n\n${trailers.join('\n')}\n`;
}

async function readResult(dir: string): Promise<TaskResult> {
  const path = join(dir, TASK_RESULT_FILE);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new Error(`${path} is missing: download the agent job's artifact into \`result-dir\``);
  });
  const parsed = TaskResultSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(
      `${path} is not a Gantry result: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
