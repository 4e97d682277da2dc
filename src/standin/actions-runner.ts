import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatchInputs } from './dispatch-inputs.js';
import { condition, interpolate, type JobStatus } from './expressions.js';
import type { GitHost } from './git-host.js';
import { runSteps, type JobResult, type StepTools } from './run-steps.js';
import { StepProcesses } from './step-processes.js';
import { contentsPermission, parseWorkflow, WorkflowError, type Workflow } from './workflow.js';
import type {
  Artifact,
  Conclusion,
  DispatchAnswer,
  WorkflowJob,
  WorkflowRun,
} from './workflow-run.js';

export interface ActionsOptions {
  /** The Action itself: a directory with `action.yml` and its bundle (`dist/index.js`). */
  actionDir: string;
  /** The `uses:` name (before `@`) meaning the Action in `actionDir` (`gantry-dev/gantry`). */
  actionUses?: string;
  nextId: () => number;
  now: () => number;
  /**
   * Git over HTTP for jobs: the repository's URL, and a job token with the job's `contents`
   * permission (revoked when the job ends).
   */
  git: {
    url: (repo: string) => string;
    token: (
      repo: string,
      contents: 'none' | 'read' | 'write',
    ) => { token: string; revoke: () => void };
  };
  /** A repository's secrets and variables (`secrets.X`, `vars.X`). */
  secrets?: (repo: string) => Record<string, string>;
  vars?: (repo: string) => Record<string, string>;
  /** More variables of the caller's environment jobs get (`--env NAME`). */
  env?: readonly string[] | undefined;
}

const WORKFLOWS = '.github/workflows/';

/**
 * GitHub Actions for `workflow_dispatch` workflows: the workflow file is read at the dispatched
 * ref and validated (`workflow.ts`), its inputs are checked as GitHub checks them, and its jobs
 * run in order of `needs` on temporary checkouts (real clones over HTTP with a job token, so a
 * job can push when its permissions say so). Steps are `run:` scripts (`step-processes.ts`) and
 * the built-in actions (`built-in-actions.ts`): `actions/checkout`, `actions/upload-artifact`,
 * `actions/download-artifact`, and the Action itself, whose bundle runs with the runner's env
 * contract. Any other `uses:` fails its step and says so.
 */
export class ActionsRunner {
  readonly runs: WorkflowRun[] = [];
  /** A run changed: requested, in_progress, completed (the server sends `workflow_run`). */
  onRun:
    ((run: WorkflowRun, action: 'requested' | 'in_progress' | 'completed') => void) | undefined;
  /** A job changed: queued, in_progress, completed (the server sends `workflow_job`). */
  onJob:
    | ((run: WorkflowRun, job: WorkflowJob, action: 'queued' | 'in_progress' | 'completed') => void)
    | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly processes: StepProcesses;

  constructor(
    private readonly git: GitHost,
    private readonly o: ActionsOptions,
  ) {
    this.processes = new StepProcesses(o.nextId, { env: o.env });
  }

  /** Resolves when every run started so far has completed. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  /** A run is going. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when the next run going now ends (never when none is: a race with others). */
  nextDone(): Promise<void> {
    return this.running.size ? Promise.race([...this.running]) : new Promise(() => undefined);
  }

  find(id: number): WorkflowRun | undefined {
    return this.runs.find((r) => r.id === id);
  }

  findJob(id: number): { run: WorkflowRun; job: WorkflowJob } | undefined {
    for (const run of this.runs) {
      const job = run.jobs.find((j) => j.id === id);
      if (job) return { run, job };
    }
    return undefined;
  }

  findArtifact(id: number): { run: WorkflowRun; artifact: Artifact } | undefined {
    for (const run of this.runs) {
      const artifact = run.artifacts.find((a) => a.id === id);
      if (artifact) return { run, artifact };
    }
    return undefined;
  }

  workflowId(path: string): number {
    return parseInt(createHash('sha256').update(path).digest('hex').slice(0, 7), 16);
  }

  /** `POST .../actions/workflows/{workflow_id}/dispatches`, with GitHub's refusals. */
  async dispatch(
    repo: string,
    workflowId: string,
    ref: string,
    given: Record<string, string>,
    actor: string,
  ): Promise<DispatchAnswer> {
    const path = WORKFLOWS + workflowId.replace(/^\.github\/workflows\//, '');
    // A branch name (or refs/heads/...); GitHub refuses a commit sha here.
    const branch = ref.replace(/^refs\/heads\//, '');
    const sha = /^[0-9a-f]{40}$/.test(branch) ? undefined : await this.git.branchSha(repo, branch);
    if (!sha) return { ok: false, status: 422, message: `No ref found for: ${ref}` };
    const text = await this.git.readFile(repo, sha, path);
    if (text === undefined) return { ok: false, status: 404, message: 'Not Found' };
    let wf: Workflow;
    try {
      wf = parseWorkflow(path, text);
    } catch (e) {
      if (!(e instanceof WorkflowError)) throw e;
      return { ok: false, status: 422, message: e.message };
    }
    const inputs = dispatchInputs(wf, given);
    if (!inputs.ok) return { ok: false, status: 422, message: inputs.message };
    const run = this.newRun(wf, { repo, path, branch, sha, actor, inputs: inputs.inputs });
    if (run.concurrency && wf.concurrency?.cancelInProgress)
      for (const other of this.runs)
        if (other.concurrency === run.concurrency && other.status !== 'completed')
          this.cancel(other.id);
    this.runs.push(run);
    this.onRun?.(run, 'requested');
    const job = this.execute(run, wf)
      .catch((e: unknown) => {
        // A stand-in failure ends the run as failed, with the reason in a job log.
        run.jobs.push(this.failedJob(`the stand-in could not run this: ${(e as Error).message}`));
        this.finish(run, 'failure');
      })
      .finally(() => this.running.delete(job));
    this.running.add(job);
    return { ok: true, run };
  }

  /** Cancel every run still going (the stand-in is closing). */
  cancelAll(): void {
    for (const run of this.runs) this.cancel(run.id);
  }

  /** `POST .../runs/{id}/cancel`: false when the run is already over (GitHub's 409). */
  cancel(id: number): boolean {
    const run = this.find(id);
    if (!run || run.status === 'completed') return false;
    run.cancelRequested = true;
    this.processes.kill(id);
    return true;
  }

  /** A queued run of `wf`, its title and concurrency group evaluated. */
  private newRun(
    wf: Workflow,
    d: {
      repo: string;
      path: string;
      branch: string;
      sha: string;
      actor: string;
      inputs: Record<string, string>;
    },
  ): WorkflowRun {
    const at = this.o.now();
    const ctx = {
      inputs: d.inputs,
      github: {
        event_name: 'workflow_dispatch',
        ref: `refs/heads/${d.branch}`,
        sha: d.sha,
        actor: d.actor,
      },
    };
    const ok: JobStatus = { failed: false, cancelled: false };
    return {
      id: this.o.nextId(),
      repo: d.repo,
      workflowId: this.workflowId(d.path),
      workflowName: wf.name ?? d.path,
      path: d.path,
      displayTitle: wf.runName ? interpolate(wf.runName, ctx, ok) : (wf.name ?? d.path),
      headBranch: d.branch,
      headSha: d.sha,
      actor: d.actor,
      inputs: d.inputs,
      status: 'queued',
      conclusion: null,
      createdAt: at,
      updatedAt: at,
      jobs: [],
      artifacts: [],
      concurrency: wf.concurrency
        ? `${d.repo}:${interpolate(wf.concurrency.group, ctx, ok)}`
        : undefined,
      cancelRequested: false,
    };
  }

  private failedJob(log: string): WorkflowJob {
    const at = this.o.now();
    return {
      id: this.o.nextId(),
      name: 'stand-in',
      status: 'completed',
      conclusion: 'failure',
      steps: [],
      log,
      startedAt: at,
      completedAt: at,
    };
  }

  private finish(run: WorkflowRun, conclusion: Conclusion): void {
    run.status = 'completed';
    run.conclusion = conclusion;
    run.updatedAt = this.o.now();
    this.onRun?.(run, 'completed');
  }

  private async execute(run: WorkflowRun, wf: Workflow): Promise<void> {
    const specs = Object.entries(wf.jobs);
    const results: Record<string, JobResult> = {};
    for (const [name] of specs)
      run.jobs.push({
        id: this.o.nextId(),
        name,
        status: 'queued',
        conclusion: null,
        steps: [],
        log: '',
        startedAt: run.createdAt,
        completedAt: undefined,
      });
    run.status = 'in_progress';
    run.updatedAt = this.o.now();
    this.onRun?.(run, 'in_progress');
    // Declaration order is an order of `needs` for the workflows the stand-in runs; a job whose
    // needs have not run yet is an error rather than a guess.
    for (const [index, [name, spec]] of specs.entries()) {
      const job = run.jobs[index]!;
      const needs = spec.needs;
      const missing = needs.filter((n) => !results[n]);
      if (missing.length)
        throw new Error(`job ${name} needs ${missing.join(', ')}, declared after it`);
      const status: JobStatus = {
        failed: needs.some((n) => results[n]!.result === 'failure'),
        cancelled: run.cancelRequested,
        needsOk: needs.every((n) => results[n]!.result === 'success'),
      };
      const ctx = this.context(run, {
        needs: Object.fromEntries(needs.map((n) => [n, results[n]])),
      });
      if (!condition(spec.if, ctx, status)) {
        job.status = 'completed';
        job.conclusion = 'skipped';
        job.completedAt = this.o.now();
        results[name] = { result: 'skipped', outputs: {} };
        this.onJob?.(run, job, 'completed');
        continue;
      }
      // Queued once its needs are met, as GitHub queues it.
      this.onJob?.(run, job, 'queued');
      results[name] = await this.runJob(run, job, wf, name, ctx);
      this.onJob?.(run, job, 'completed');
    }
    const all = run.jobs.map((j) => j.conclusion);
    this.finish(
      run,
      run.cancelRequested ? 'cancelled' : all.includes('failure') ? 'failure' : 'success',
    );
  }

  private context(run: WorkflowRun, extra: Record<string, unknown>): Record<string, unknown> {
    return {
      inputs: run.inputs,
      github: {
        event_name: 'workflow_dispatch',
        ref: `refs/heads/${run.headBranch}`,
        sha: run.headSha,
        repository: run.repo,
        run_id: String(run.id),
        actor: run.actor,
      },
      secrets: this.o.secrets?.(run.repo) ?? {},
      vars: this.o.vars?.(run.repo) ?? {},
      env: {},
      ...extra,
    };
  }

  /** One job on a scratch directory, with a job token that is revoked when it ends. */
  private async runJob(
    run: WorkflowRun,
    job: WorkflowJob,
    wf: Workflow,
    name: string,
    base: Record<string, unknown>,
  ): Promise<JobResult> {
    const spec = wf.jobs[name]!;
    job.status = 'in_progress';
    job.startedAt = this.o.now();
    this.onJob?.(run, job, 'in_progress');
    const root = await mkdtemp(join(tmpdir(), 'standin-job-'));
    const jobToken = this.o.git.token(run.repo, contentsPermission(spec, wf));
    try {
      return await runSteps({ run, job, spec, base, root, token: jobToken.token }, this.tools());
    } finally {
      jobToken.revoke();
      await rm(root, { recursive: true, force: true });
    }
  }

  private tools(): StepTools {
    return {
      git: this.git,
      gitUrl: this.o.git.url,
      actionDir: this.o.actionDir,
      // `name@` (the prefix this option once was) means the same name.
      actionName: this.o.actionUses?.replace(/@$/, ''),
      processes: this.processes,
      nextId: this.o.nextId,
      now: this.o.now,
    };
  }
}
