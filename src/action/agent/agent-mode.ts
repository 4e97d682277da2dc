import * as core from '@actions/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  TASK_PATCH_FILE,
  TASK_RESULT_FILE,
  TaskResultSchema,
  type TaskResult,
} from '../../core/task-result.js';
import { evaluateCriteria, type CriteriaReport } from '../criteria/evaluate.js';
import { git } from '../git.js';
import type { AgentInputs } from '../inputs.js';
import { writeSummary } from '../summary.js';
import { addUsage, zeroUsage, type AgentBackend, type AgentOutcome } from './backend.js';
import { feedbackPrompt, taskPrompt } from './prompt.js';

export interface AgentJob {
  inputs: AgentInputs;
  /** The repository checkout (GITHUB_WORKSPACE). */
  workspace: string;
  backend: AgentBackend;
  /** Criterion commands get this long each unless they say otherwise. */
  commandTimeoutMs?: number;
}

/**
 * The agent job: on the goal head it was given, the agent works in rounds; after each round the
 * task's criteria are checked and failures go back to the agent. Whatever happens, the change so
 * far and `gantry-result.json` are written for upload: work is never lost.
 */
export async function runAgentJob(job: AgentJob): Promise<TaskResult> {
  const { inputs, workspace, backend } = job;
  const task = inputs.task;
  await ensureBase(workspace, inputs['base-sha']);
  const deadline = AbortSignal.timeout(inputs['timeout-minutes'] * 60_000);
  let usage = zeroUsage();
  let report: CriteriaReport | undefined;
  let last: AgentOutcome | undefined;
  const findings: AgentOutcome['findings'] = [];
  let rounds = 0;
  let prompt = taskPrompt({
    task,
    goal: inputs.goal,
    attempt: inputs.attempt,
    knowledge: inputs.knowledge,
    guidance: inputs.guidance,
  });
  for (let round = 1; round <= inputs['criteria-iterations']; round++) {
    rounds = round;
    core.info(`Round ${round}: ${backend.name} on ${task.id}`);
    last = await backend.run({
      prompt,
      cwd: workspace,
      model: inputs.model,
      maxTurns: inputs['max-turns'] - usage.turns,
      maxBudgetUsd: Math.max(0, inputs['max-budget-usd'] - usage.costUsd),
      signal: deadline,
      round,
    });
    usage = addUsage(usage, last.usage);
    findings.push(...last.findings);
    if (last.stop === 'timeout' || last.stop === 'error') break;
    report = await evaluateCriteria(task.criteria, {
      cwd: workspace,
      commandTimeoutMs: job.commandTimeoutMs ?? 10 * 60_000,
      signal: deadline,
    });
    core.info(`Criteria after round ${round}: ${report.passed ? 'passed' : 'not passed'}`);
    if (report.passed || last.stop !== 'done') break;
    prompt = feedbackPrompt(report.outcomes);
  }
  const { patch, files } = await collectChange(workspace, inputs['base-sha'], inputs['output-dir']);
  const passed = report?.passed ?? false;
  const status: TaskResult['status'] =
    passed && last?.stop !== 'error' ? 'success' : files.length > 0 ? 'partial' : 'failure';
  const result = TaskResultSchema.parse({
    version: 1,
    goal: inputs.goal,
    taskId: task.id,
    attempt: inputs.attempt,
    status,
    reason: reasonFor(status, last, report, rounds),
    backend: backend.name,
    model: inputs.model,
    iterations: rounds,
    criteria: { passed, outcomes: report?.outcomes ?? [] },
    summary: (last?.summary ?? '').slice(0, 4000),
    filesChanged: files.slice(0, 1000),
    patchBytes: Buffer.byteLength(patch),
    findings: findings.slice(0, 10),
    usage,
  } satisfies TaskResult);
  const out = inputs['output-dir'];
  await mkdir(out, { recursive: true });
  await writeFile(join(out, TASK_PATCH_FILE), patch);
  await writeFile(join(out, TASK_RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
  core.setOutput('status', result.status);
  core.setOutput('result-dir', out);
  core.setOutput('files-changed', String(files.length));
  core.setOutput('cost-usd', String(usage.costUsd));
  await writeSummary(result);
  return result;
}

function reasonFor(
  status: TaskResult['status'],
  last: AgentOutcome | undefined,
  report: CriteriaReport | undefined,
  rounds: number,
): string {
  const limit: Partial<Record<AgentOutcome['stop'], string>> = {
    'max-turns': 'the agent reached its turn limit',
    'max-budget': 'the agent reached its budget',
    timeout: 'the job reached its time limit',
    error: `the agent failed${last?.detail ? `: ${last.detail}` : ''}`,
  };
  if (status === 'success')
    return `the criteria passed after ${rounds} round${rounds === 1 ? '' : 's'}`;
  if (last && limit[last.stop])
    return `${limit[last.stop]}${status === 'partial' ? '; the work so far is kept' : ''}`;
  if (report && !report.passed)
    return `the criteria did not pass after ${rounds} round${rounds === 1 ? '' : 's'}`;
  return 'the agent changed nothing';
}

/** The job must run on the goal head it was given, not on whatever was checked out. */
async function ensureBase(workspace: string, sha: string): Promise<void> {
  const head = (await git(workspace, ['rev-parse', 'HEAD'])).trim();
  if (head.startsWith(sha) || sha.startsWith(head)) return;
  try {
    await git(workspace, ['checkout', '--quiet', '--detach', sha]);
  } catch {
    throw new Error(
      `base-sha ${sha} is not in the checkout (HEAD is ${head}): check out with \`ref: \${{ inputs.base_sha }}\` and \`fetch-depth: 0\``,
    );
  }
}

/** Everything the agent changed, new files included, as a binary-safe patch against the base. */
async function collectChange(
  workspace: string,
  base: string,
  outputDir: string,
): Promise<{ patch: string; files: string[] }> {
  // Gantry's own output never becomes part of the change, even when it is inside the checkout.
  const rel = relative(workspace, resolve(workspace, outputDir));
  const pathspec =
    rel && !rel.startsWith('..') && !isAbsolute(rel) ? ['--', '.', `:(exclude)${rel}`] : [];
  await git(workspace, ['add', '--all', ...pathspec]);
  const patch = await git(workspace, [
    'diff',
    '--cached',
    '--binary',
    '--full-index',
    base,
    ...pathspec,
  ]);
  const files = (await git(workspace, ['diff', '--cached', '--name-only', '-z', base, ...pathspec]))
    .split('\0')
    .filter(Boolean);
  return { patch, files };
}
