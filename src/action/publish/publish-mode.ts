import * as core from '@actions/core';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskBranch } from '../../core/names.js';
import { checkPaths } from '../../core/path-policy.js';
import {
  TASK_PATCH_FILE,
  TASK_RESULT_FILE,
  TaskResultSchema,
  type TaskResult,
} from '../../core/task-result.js';
import { git } from '../git.js';
import type { PublishInputs } from '../inputs.js';

export type PublishOutcome =
  | { published: true; branch: string; sha: string; files: string[] }
  | { published: false; reason: string };

export class PolicyError extends Error {
  override name = 'PolicyError';
}

const BOT = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/**
 * The publish job (contents: write, no LLM key): apply the agent's patch on the base sha, refuse
 * what the path policy forbids, commit as `gantry(T3): title` with trailers, and push
 * `gantry/<issue>/<task>/<attempt>`. The App, not this job, merges it (so CI runs on the merge).
 */
export async function runPublishJob(
  inputs: PublishInputs,
  workspace: string,
): Promise<PublishOutcome> {
  const result = await readResult(inputs['result-dir']);
  const outcome = await publish(inputs, workspace, result);
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
  // Apply to the index first, then judge exactly what changed: every path of a rename or copy
  // (no rename detection), names with any character, and the targets of symlinks.
  await git(workspace, ['apply', '--index', '--binary', '--whitespace=nowarn', patchPath]);
  const changes = parseRaw(
    await git(workspace, [
      'diff',
      '--cached',
      '--no-ext-diff',
      '--no-renames',
      '--raw',
      '-z',
      'HEAD',
    ]),
  );
  const links = await Promise.all(
    changes
      .filter((c) => c.mode === '120000')
      .map(async (c) => ({
        path: c.path,
        target: await git(workspace, ['cat-file', 'blob', c.sha]),
      })),
  );
  const verdict = checkPaths(
    changes.map((c) => c.path),
    patchBytes,
    {
      blocked: inputs['blocked-paths'],
      maxFiles: inputs['max-files'],
      maxPatchBytes: inputs['max-patch-bytes'],
    },
    links,
  );
  if (!verdict.ok) {
    await git(workspace, ['reset', '--quiet', '--hard', 'HEAD']);
    throw new PolicyError(
      `the patch of ${inputs['task-id']} was refused:\n${verdict.problems.map((p) => `- ${p}`).join('\n')}`,
    );
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
  await git(workspace, ['push', '--force', '--quiet', inputs.remote, `HEAD:refs/heads/${branch}`]);
  return { published: true, branch, sha, files: changes.map((c) => c.path) };
}

/** `git diff --raw -z`: `:oldmode newmode oldsha newsha status` then the path, NUL-separated. */
function parseRaw(raw: string): { path: string; mode: string; sha: string }[] {
  const parts = raw.split('\0');
  const out: { path: string; mode: string; sha: string }[] = [];
  for (let k = 0; k + 1 < parts.length; k += 2) {
    const [, newMode = '', , newSha = ''] = parts[k]!.slice(1).split(' ');
    out.push({ path: parts[k + 1]!, mode: newMode, sha: newSha });
  }
  return out;
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
