import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { builtInAction, type StepContext } from './built-in-actions.js';
import { condition, interpolate, type JobStatus } from './expressions.js';
import type { StepOutcome, StepPlace } from './step-processes.js';
import type { Job, Step } from './workflow.js';
import type { Conclusion, WorkflowJob, WorkflowRun } from './workflow-run.js';

/** One job to run: its run, its record, its spec, the expression context, a scratch root. */
export interface JobWork {
  run: WorkflowRun;
  job: WorkflowJob;
  spec: Job;
  base: Record<string, unknown>;
  root: string;
  /** The job's `GITHUB_TOKEN`. */
  token: string;
}

/** What every step of every job shares (the runner's side of a step). */
export type StepTools = Omit<
  StepContext,
  'run' | 'given' | 'env' | 'where' | 'token' | 'evaluate'
> & {
  /** The `uses:` name that means Gantry's own Action. */
  actionName: string | undefined;
};

export interface JobResult {
  result: Conclusion;
  outputs: Record<string, string>;
}

/**
 * A job's steps in order, as a runner runs them: `if:` decides (none means `success()`), a
 * failed step fails the job, `timeout-minutes` stops it, and the job's outputs are evaluated
 * after its last step. The job record is updated as it goes.
 */
export async function runSteps(w: JobWork, tools: StepTools): Promise<JobResult> {
  const { run, job, spec } = w;
  const place = await makePlace(w.root, job);
  const steps: Record<string, { outputs: Record<string, string>; outcome: Conclusion }> = {};
  // The job's token is in `github.token` and `secrets.GITHUB_TOKEN`, as on GitHub.
  const ctx = {
    ...w.base,
    github: { ...(w.base.github as object), token: w.token },
    secrets: { ...(w.base.secrets as object), GITHUB_TOKEN: w.token },
    runner: { temp: place.temp, os: 'Linux' },
    steps,
  };
  const status: JobStatus = { failed: false, cancelled: false };
  const minutes = Number(interpolate(spec.timeoutMinutes, ctx, status));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    place.log(`##[error]The job has exceeded the maximum execution time of ${minutes} minutes.`);
    tools.processes.kill(run.id);
  }, minutes * 60_000);
  try {
    for (const [n, step] of spec.steps.entries()) {
      status.cancelled = run.cancelRequested || timedOut;
      const name = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${n + 1}`;
      const startedAt = tools.now();
      if (!condition(step.if, ctx, status)) {
        job.steps.push({ name, conclusion: 'skipped', startedAt, completedAt: startedAt });
        continue;
      }
      place.log(`##[group]${name}`);
      const outcome = await runStep(step, ctx, status, { ...w, place }, tools);
      const conclusion: Conclusion = run.cancelRequested
        ? 'cancelled'
        : outcome.ok && !timedOut
          ? 'success'
          : 'failure';
      if (step.id) steps[step.id] = { outputs: outcome.outputs, outcome: conclusion };
      job.steps.push({ name, conclusion, startedAt, completedAt: tools.now() });
      if (conclusion === 'failure') status.failed = true;
      place.log('##[endgroup]');
    }
    const outputs = Object.fromEntries(
      Object.entries(spec.outputs).map(([k, v]) => [k, interpolate(v, ctx, status)]),
    );
    const result: Conclusion = run.cancelRequested
      ? 'cancelled'
      : status.failed || timedOut
        ? 'failure'
        : 'success';
    job.status = 'completed';
    job.conclusion = result;
    job.completedAt = tools.now();
    return { result, outputs };
  } finally {
    clearTimeout(timer);
  }
}

/** The job's workspace and temporary directory, and its log. */
async function makePlace(root: string, job: WorkflowJob): Promise<StepPlace> {
  const workspace = join(root, 'workspace');
  const temp = join(root, 'temp');
  await mkdir(temp, { recursive: true });
  await mkdir(workspace, { recursive: true });
  // `::add-mask::` hides a value in the rest of the job's log, and the command itself is not
  // shown, as GitHub's runner does (the Action masks the token it pushes with).
  const masks: string[] = [];
  const log = (text: string) => {
    for (const line of text.split('\n')) {
      const mask = /^::add-mask::(.+)$/.exec(line.trim())?.[1];
      if (mask) masks.push(mask);
      else job.log += `${masks.reduce((l, m) => l.split(m).join('***'), line)}\n`;
    }
  };
  return { workspace, temp, log };
}

/** One step, its expressions evaluated; an error fails the step with its message in the log. */
async function runStep(
  step: Step,
  ctx: Record<string, unknown>,
  status: JobStatus,
  w: JobWork & { place: StepPlace },
  tools: StepTools,
): Promise<StepOutcome> {
  const evaluated = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, interpolate(v, ctx, status)]));
  try {
    const given = evaluated(step.with);
    const env = evaluated(step.env);
    if (step.run !== undefined)
      return await tools.processes.script(w.run, interpolate(step.run, ctx, status), w.place, env);
    const action = builtInAction(step.uses ?? '', tools.actionName);
    return await action({
      ...tools,
      run: w.run,
      given,
      env,
      where: w.place,
      token: w.token,
      evaluate: (text) => interpolate(text, ctx, status),
    });
  } catch (e) {
    w.place.log(`##[error]${(e as Error).message}`);
    return { ok: false, outputs: {} };
  }
}
