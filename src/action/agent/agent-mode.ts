import * as core from '@actions/core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
import {
  addUsage,
  zeroUsage,
  type AgentBackend,
  type AgentOutcome,
  type AgentUsage,
} from './backend.js';
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
  // The agent may rewrite .git/config (filters, hooks); Gantry's own git must not run its commands.
  const gitConfig = join(workspace, '.git', 'config');
  const savedConfig = await readFile(gitConfig).catch(() => undefined);
  const deadline = AbortSignal.timeout(inputs['timeout-minutes'] * 60_000);
  const state: RunState = { usage: zeroUsage(), findings: [], rounds: 0 };
  let prompt = taskPrompt({
    task,
    goal: inputs.goal,
    attempt: inputs.attempt,
    knowledge: inputs.knowledge,
    guidance: inputs.guidance,
  });
  try {
    for (let round = 1; round <= inputs['criteria-iterations']; round++) {
      const turnsLeft = inputs['max-turns'] - state.usage.turns;
      const budgetLeft = inputs['max-budget-usd'] - state.usage.costUsd;
      if (turnsLeft <= 0 || budgetLeft <= 0) break;
      state.rounds = round;
      core.info(`Round ${round}: ${backend.name} on ${task.id}`);
      state.last = await backend
        .run({
          prompt,
          cwd: workspace,
          model: inputs.model,
          maxTurns: turnsLeft,
          maxBudgetUsd: budgetLeft,
          signal: deadline,
          round,
        })
        .catch((e: unknown): AgentOutcome => ({
          stop: 'error',
          summary: '',
          detail: (e as Error).message,
          usage: zeroUsage(),
          findings: [],
        }));
      state.usage = addUsage(state.usage, state.last.usage);
      state.findings.push(...state.last.findings);
      if (state.last.stop === 'timeout' || state.last.stop === 'error') break;
      state.report = await evaluateCriteria(task.criteria, {
        cwd: workspace,
        commandTimeoutMs: job.commandTimeoutMs ?? 10 * 60_000,
        signal: deadline,
      }).catch((e: unknown): CriteriaReport => ({
        passed: false,
        outcomes: [
          {
            path: '0',
            kind: 'command',
            passed: false,
            detail: `the criteria could not be checked: ${(e as Error).message}`,
          },
        ],
        leaves: [],
      }));
      core.info(`Criteria after round ${round}: ${state.report.passed ? 'passed' : 'not passed'}`);
      // Written after every round: if the job is killed, the last round's work is already saved.
      await persist(job, state, savedConfig, gitConfig);
      if (state.report.passed || state.last.stop !== 'done') break;
      prompt = feedbackPrompt(state.report.outcomes);
    }
  } finally {
    state.result = await persist(job, state, savedConfig, gitConfig);
  }
  core.setOutput('status', state.result.status);
  core.setOutput('result-dir', inputs['output-dir']);
  core.setOutput('files-changed', String(state.result.filesChanged.length));
  core.setOutput('cost-usd', String(state.usage.costUsd));
  await writeSummary(state.result);
  return state.result;
}

interface RunState {
  usage: AgentUsage;
  findings: AgentOutcome['findings'];
  rounds: number;
  last?: AgentOutcome;
  report?: CriteriaReport;
  result?: TaskResult;
}

/** Write gantry.patch and gantry-result.json for the work so far. */
async function persist(
  job: AgentJob,
  state: RunState,
  savedConfig: Buffer | undefined,
  gitConfig: string,
): Promise<TaskResult> {
  const { inputs, workspace, backend } = job;
  if (savedConfig) await writeFile(gitConfig, savedConfig);
  const { patch, files } = await collectChange(workspace, inputs['base-sha'], inputs['output-dir']);
  const passed = state.report?.passed ?? false;
  const status: TaskResult['status'] =
    passed && state.last?.stop !== 'error' ? 'success' : files.length > 0 ? 'partial' : 'failure';
  const result = TaskResultSchema.parse({
    version: 1,
    goal: inputs.goal,
    taskId: inputs.task.id,
    attempt: inputs.attempt,
    status,
    reason: reasonFor(status, state.last, state.report, state.rounds).slice(0, 1000),
    backend: backend.name,
    model: inputs.model,
    iterations: state.rounds,
    criteria: { passed, outcomes: state.report?.outcomes ?? [] },
    summary: (state.last?.summary ?? '').slice(0, 4000),
    filesChanged: files.slice(0, 1000),
    patchBytes: Buffer.byteLength(patch),
    findings: state.findings.slice(0, 10),
    usage: state.usage,
  } satisfies TaskResult);
  const out = inputs['output-dir'];
  await mkdir(out, { recursive: true });
  await writeFile(join(out, TASK_PATCH_FILE), patch);
  await writeFile(join(out, TASK_RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
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
    '--no-ext-diff',
    '--no-textconv',
    '--binary',
    '--full-index',
    base,
    ...pathspec,
  ]);
  const files = (
    await git(workspace, [
      'diff',
      '--cached',
      '--no-ext-diff',
      '--name-only',
      '-z',
      base,
      ...pathspec,
    ])
  )
    .split('\0')
    .filter(Boolean);
  return { patch, files };
}
