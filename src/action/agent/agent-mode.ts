import * as core from '@actions/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkChange, clipProblems, GITLINK } from '../../core/path-policy.js';
import {
  TASK_PATCH_FILE,
  TASK_RESULT_FILE,
  TaskResultSchema,
  type TaskResult,
} from '../../core/task-result.js';
import { evaluateCriteria, type CriteriaReport } from '../criteria/evaluate.js';
import { git } from '../git.js';
import { policyOf, type AgentInputs } from '../inputs.js';
import { readChange } from '../read-change.js';
import type { GatewaySpend } from '../gateway/spend-meter.js';
import { unisolated, type Sandbox } from '../sandbox/sandbox.js';
import { writeSummary } from '../summary.js';
import {
  addUsage,
  zeroUsage,
  type AgentBackend,
  type AgentOutcome,
  type AgentUsage,
} from './backend.js';
import { readInstructionFiles } from './instruction-files.js';
import { feedbackPrompt, taskPrompt, type PromptContext } from './prompt.js';
import { WorkSnapshot } from './work-snapshot.js';

export interface AgentJob {
  inputs: AgentInputs;
  /** The repository checkout (GITHUB_WORKSPACE). */
  workspace: string;
  backend: AgentBackend;
  /** Criterion commands get this long each unless they say otherwise. */
  commandTimeoutMs?: number;
  /**
   * The job's LLM gateway: the task's tokens and cost are its count, not what the agent reports.
   * Absent only when the agent has no model access at all (a `command` agent without a key).
   */
  meter?: { spent(): GatewaySpend; drain?(): Promise<void> };
  /**
   * Contain the agent for this checkout (after it is on the base): its user, its copy of the
   * tree, its namespaces. Without it the agent runs unisolated, as the job's own user.
   */
  contain?: (workspace: string) => Promise<Sandbox>;
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
  // Read by Gantry's git from the base, before the agent can change anything.
  const instructions = await readInstructionFiles(workspace, inputs['base-sha']).catch(
    (e: Error) => {
      core.warning(`the repository's instruction files could not be read: ${e.message}`);
      return [];
    },
  );
  const sandbox = job.contain ? await job.contain(workspace) : unisolated(workspace);
  // Opened before the agent runs. Contained, Gantry's git uses the checkout's git directory,
  // which the agent cannot reach; unisolated, it keeps .git/config as it was, so nothing the
  // agent plants there (filters, hooks) runs in Gantry's own git.
  const snapshot = await WorkSnapshot.open(
    workspace,
    inputs['base-sha'],
    inputs['output-dir'],
    sandbox,
  );
  const deadline = AbortSignal.timeout(inputs['timeout-minutes'] * 60_000);
  const state: RunState = { usage: zeroUsage(), findings: [], rounds: 0, refused: [], sandbox };
  const context: PromptContext = {
    task,
    goal: inputs.goal,
    attempt: inputs.attempt,
    knowledge: inputs.knowledge,
    guidance: inputs.guidance,
    blocked: inputs['blocked-paths'],
    rules: inputs.rules,
    instructions,
  };
  let prompt = taskPrompt(context);
  let feedback: string | undefined;
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
          ...(feedback ? { feedback } : {}),
          cwd: sandbox.tree,
          sandbox,
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
      // Whatever the backend says, nothing of the agent's runs while Gantry reads the tree.
      const unstopped = await stopAgent(sandbox);
      // The round's spend counts even when its work is not taken.
      state.usage = addUsage(state.usage, state.last.usage);
      if (job.meter) {
        // A call the agent left in flight is still read to its end: count it in this round (not
        // waited for when the agent is still running and could keep calling).
        if (!unstopped) await job.meter.drain?.();
        metered(state, job.meter.spent(), inputs['max-budget-usd']);
      }
      if (unstopped) {
        state.last = { ...state.last, stop: 'error', detail: unstopped };
        state.change = { patch: '', files: [], problems: [unstopped] };
        break;
      }
      state.findings.push(...state.last.findings);
      // The change is what the agent left, frozen before any criterion runs.
      state.change = await collectChange(job, snapshot);
      state.refused = state.change.problems;
      if (state.last.stop === 'timeout' || state.last.stop === 'error') break;
      state.report = await evaluateCriteria(task.criteria, {
        cwd: sandbox.tree,
        sandbox,
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
      // Criteria run the agent's code: none of it may run on while root restores and chowns.
      const criteriaUnstopped = await stopAgent(sandbox);
      if (criteriaUnstopped) {
        state.last = { ...state.last, stop: 'error', detail: criteriaUnstopped };
        break;
      }
      // What the criteria wrote is gone before the agent's next round (and before upload).
      await snapshot.restore();
      await sandbox.handBack();
      core.info(`Criteria after round ${round}: ${state.report.passed ? 'passed' : 'not passed'}`);
      // Written after every round: if the job is killed, the last round's work is already saved.
      await persist(job, state);
      if ((state.report.passed && !state.refused.length) || state.last.stop !== 'done') break;
      feedback = feedbackPrompt(state.report.outcomes, state.refused);
      prompt = taskPrompt(context, { round: round + 1, feedback });
    }
  } finally {
    try {
      const unstopped = await stopAgent(sandbox);
      if (unstopped) state.change = { patch: '', files: [], problems: [unstopped] };
      state.change ??= await collectChange(job, snapshot).catch((e: unknown): Change => ({
        patch: '',
        files: [],
        problems: [`the agent's work could not be read: ${(e as Error).message}`],
      }));
      state.refused = state.change.problems;
      state.result = await persist(job, state);
    } finally {
      await snapshot.close().catch(() => {});
      await sandbox
        .close()
        .catch((e: Error) => core.warning(`could not remove the agent's copy: ${e.message}`));
    }
  }
  core.setOutput('status', state.result.status);
  core.setOutput('result-dir', inputs['output-dir']);
  core.setOutput('files-changed', String(state.result.filesChanged.length));
  core.setOutput('cost-usd', String(state.usage.costUsd));
  await writeSummary(state.result);
  return state.result;
}

/**
 * Stop every agent process; a reason when some could not be stopped, and then the tree, which
 * they may still be changing, is not read and the task fails.
 */
async function stopAgent(sandbox: Sandbox): Promise<string | undefined> {
  try {
    await sandbox.stopAll();
    return undefined;
  } catch (e) {
    return `the agent's processes could not be stopped, so its work is not taken: ${(e as Error).message}`;
  }
}

/**
 * Tokens and cost as the gateway counted them (turns stay the backend's). A round that failed
 * after the gateway refused a call over the reservation stopped at the budget.
 */
function metered(state: RunState, spent: GatewaySpend, reservationUsd: number): void {
  const { calls, refused, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd } =
    spent;
  if (state.last && state.last.usage.costUsd !== 0)
    core.info(
      `The agent reported $${state.last.usage.costUsd} for round ${state.rounds}; the task's cost is the gateway's count ($${costUsd} in ${calls} calls, ${refused} refused).`,
    );
  // Only the token counts and the cost: the gateway's other counts are not the result's usage.
  state.usage = {
    ...state.usage,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    costUsd,
  };
  // The gateway refuses a call whose worst case does not fit, before the count reaches the reservation.
  if (state.last?.stop === 'error' && (spent.refusedOverBudget > 0 || costUsd >= reservationUsd))
    state.last = {
      ...state.last,
      stop: 'max-budget',
      detail: `the gateway refused calls the reservation of $${reservationUsd} could not cover`,
    };
}

interface RunState {
  usage: AgentUsage;
  findings: AgentOutcome['findings'];
  rounds: number;
  last?: AgentOutcome;
  report?: CriteriaReport;
  /** The change of the last round, frozen before its criteria ran. */
  change?: Change;
  /** What the path policy refuses in that change (each names its path). */
  refused: string[];
  result?: TaskResult;
  sandbox: Sandbox;
}

interface Change {
  patch: string;
  files: string[];
  problems: string[];
}

/** Write gantry.patch and gantry-result.json for the work so far. */
async function persist(job: AgentJob, state: RunState): Promise<TaskResult> {
  const { inputs, backend } = job;
  const { patch, files } = state.change ?? { patch: '', files: [] };
  const passed = state.report?.passed ?? false;
  const status: TaskResult['status'] = state.refused.length
    ? 'failure'
    : passed && state.last?.stop !== 'error'
      ? 'success'
      : files.length > 0
        ? 'partial'
        : 'failure';
  const result = TaskResultSchema.parse({
    version: 1,
    goal: inputs.goal,
    taskId: inputs.task.id,
    attempt: inputs.attempt,
    status,
    reason: reasonFor(status, state).slice(0, 1000),
    backend: backend.name,
    model: inputs.model,
    iterations: state.rounds,
    criteria: { passed, outcomes: state.report?.outcomes ?? [] },
    summary: (state.last?.summary ?? '').slice(0, 4000),
    filesChanged: files.slice(0, 1000),
    // As data, not only in `reason`: the App shows each refused path and gives it to recovery.
    ...(state.refused.length ? { refused: clipProblems(state.refused) } : {}),
    patchBytes: Buffer.byteLength(patch),
    containment: {
      isolated: state.sandbox.isolated,
      egressRefused: state.sandbox.refusedEgress().slice(0, 50),
      gatewayRefused: job.meter?.spent().refused ?? 0,
    },
    findings: state.findings.slice(0, 10),
    usage: state.usage,
  } satisfies TaskResult);
  const out = inputs['output-dir'];
  await mkdir(out, { recursive: true });
  await writeFile(join(out, TASK_PATCH_FILE), patch);
  await writeFile(join(out, TASK_RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function reasonFor(status: TaskResult['status'], state: RunState): string {
  const { last, report, rounds } = state;
  // A refused change is never published, so the reason names what to take out.
  if (state.refused.length)
    return `the change was refused by the path policy: ${state.refused.join('; ')}`;
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

/**
 * Everything the agent changed, new files included, frozen in the snapshot: a binary-safe patch
 * against the base, the changed paths, and what the path policy refuses in it.
 */
async function collectChange(job: AgentJob, snapshot: WorkSnapshot): Promise<Change> {
  const { workspace, inputs } = job;
  const base = inputs['base-sha'];
  const { tree, leftOut } = await snapshot.take();
  const patch = await git(workspace, [
    'diff',
    '--no-ext-diff',
    '--no-textconv',
    '--binary',
    '--full-index',
    base,
    tree,
  ]);
  const entries = await readChange(workspace, base, tree);
  const problems: string[] = [];
  for (const path of leftOut)
    if (await snapshot.isRepository(path)) entries.push({ path, mode: GITLINK });
    else problems.push(`${path}: git could not add it to the change (is it readable?)`);
  const verdict = checkChange(entries, Buffer.byteLength(patch), policyOf(inputs));
  if (!verdict.ok) problems.unshift(...verdict.problems);
  return { patch, files: entries.map((e) => e.path), problems };
}
