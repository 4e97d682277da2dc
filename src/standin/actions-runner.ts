import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { parse } from 'yaml';
import { condition, interpolate, type JobStatus } from './expressions.js';
import type { GitHost } from './git-host.js';
import { parseOutputs } from './outputs-file.js';

export type Conclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface WorkflowJob {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: Conclusion | null;
  steps: { name: string; conclusion: Conclusion; startedAt: number; completedAt: number }[];
  log: string;
  startedAt: number;
  completedAt: number | undefined;
}

export interface Artifact {
  id: number;
  name: string;
  zip: Uint8Array;
  createdAt: number;
}

export interface WorkflowRun {
  id: number;
  repo: string;
  workflowId: number;
  workflowName: string;
  path: string;
  displayTitle: string;
  headBranch: string;
  headSha: string;
  actor: string;
  inputs: Record<string, string>;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: Conclusion | null;
  createdAt: number;
  updatedAt: number;
  jobs: WorkflowJob[];
  artifacts: Artifact[];
  concurrency: string | undefined;
  cancelRequested: boolean;
}

export type DispatchAnswer =
  { ok: true; run: WorkflowRun } | { ok: false; status: 404 | 422; message: string };

type Permissions = Record<string, string> | 'read-all' | 'write-all';

interface Workflow {
  permissions?: Permissions;
  name?: string;
  'run-name'?: string;
  on?: {
    workflow_dispatch?: { inputs?: Record<string, { required?: boolean; default?: string }> };
  };
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean };
  jobs?: Record<string, JobSpec>;
}

interface JobSpec {
  permissions?: Permissions;
  needs?: string | string[];
  if?: string | boolean;
  'timeout-minutes'?: string | number;
  outputs?: Record<string, string>;
  steps?: StepSpec[];
}

interface StepSpec {
  id?: string;
  name?: string;
  if?: string | boolean;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface ActionsOptions {
  /** The Action itself: a directory with `action.yml` and its bundle (`dist/index.js`). */
  actionDir: string;
  /** `uses:` values that mean the Action in `actionDir` (default: `gantry-dev/gantry@`). */
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
}

const WORKFLOWS = '.github/workflows/';

/**
 * GitHub Actions for `workflow_dispatch` workflows: the workflow file is read at the dispatched
 * ref, its inputs are checked as GitHub checks them, and its jobs run in order of `needs` on
 * temporary checkouts (real clones of the bare repository over a file URL, so a job can push).
 * Steps are `run:` scripts, `actions/checkout`, `actions/upload-artifact`,
 * `actions/download-artifact`, and the Action itself, whose bundle runs with the runner's env
 * contract (`INPUT_*` with `action.yml`'s defaults, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`,
 * `RUNNER_TEMP`, `GITHUB_WORKSPACE`). Any other `uses:` fails its step and says so.
 */
export class ActionsRunner {
  readonly runs: WorkflowRun[] = [];
  /** A run changed: requested, in_progress, completed (the server sends `workflow_run`). */
  onRun:
    ((run: WorkflowRun, action: 'requested' | 'in_progress' | 'completed') => void) | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly children = new Map<number, Set<number>>();

  constructor(
    private readonly git: GitHost,
    private readonly o: ActionsOptions,
  ) {}

  /** Resolves when every run started so far has completed. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
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
      wf = parse(text) as Workflow;
    } catch (e) {
      return { ok: false, status: 422, message: `Invalid workflow file: ${(e as Error).message}` };
    }
    const declared = wf.on?.workflow_dispatch?.inputs;
    if (!wf.on?.workflow_dispatch)
      return {
        ok: false,
        status: 422,
        message: "Workflow does not have 'workflow_dispatch' trigger",
      };
    const unexpected = Object.keys(given).filter((k) => !declared || !(k in declared));
    if (unexpected.length)
      return {
        ok: false,
        status: 422,
        message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}`,
      };
    const inputs: Record<string, string> = {};
    for (const [name, spec] of Object.entries(declared ?? {})) {
      if (given[name] !== undefined) inputs[name] = given[name];
      else if (spec.required && spec.default === undefined)
        return { ok: false, status: 422, message: `Required input '${name}' not provided` };
      else inputs[name] = spec.default ?? '';
    }
    const at = this.o.now();
    const ctx = {
      inputs,
      github: { event_name: 'workflow_dispatch', ref: `refs/heads/${branch}`, sha, actor },
    };
    const ok: JobStatus = { failed: false, cancelled: false };
    const run: WorkflowRun = {
      id: this.o.nextId(),
      repo,
      workflowId: this.workflowId(path),
      workflowName: wf.name ?? path,
      path,
      displayTitle: wf['run-name'] ? interpolate(wf['run-name'], ctx, ok) : (wf.name ?? path),
      headBranch: branch,
      headSha: sha,
      actor,
      inputs,
      status: 'queued',
      conclusion: null,
      createdAt: at,
      updatedAt: at,
      jobs: [],
      artifacts: [],
      concurrency: wf.concurrency?.group
        ? `${repo}:${interpolate(wf.concurrency.group, ctx, ok)}`
        : undefined,
      cancelRequested: false,
    };
    if (run.concurrency && wf.concurrency?.['cancel-in-progress'])
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
    for (const pid of this.children.get(id) ?? []) killGroup(pid);
    return true;
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
    const specs = Object.entries(wf.jobs ?? {});
    const results: Record<string, { result: Conclusion; outputs: Record<string, string> }> = {};
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
      const needs = [spec.needs ?? []].flat();
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
      const skipped = !condition(spec.if, ctx, status);
      if (skipped) {
        job.status = 'completed';
        job.conclusion = 'skipped';
        job.completedAt = this.o.now();
        results[name] = { result: 'skipped', outputs: {} };
        continue;
      }
      results[name] = await this.runJob(run, job, spec, ctx, contentsPermission(spec, wf));
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

  private async runJob(
    run: WorkflowRun,
    job: WorkflowJob,
    spec: JobSpec,
    base: Record<string, unknown>,
    contents: 'none' | 'read' | 'write',
  ): Promise<{ result: Conclusion; outputs: Record<string, string> }> {
    job.status = 'in_progress';
    job.startedAt = this.o.now();
    const root = await mkdtemp(join(tmpdir(), 'standin-job-'));
    const jobToken = this.o.git.token(run.repo, contents);
    try {
      return await this.runSteps(run, job, spec, base, root, jobToken.token);
    } finally {
      jobToken.revoke();
      await rm(root, { recursive: true, force: true });
    }
  }

  private async runSteps(
    run: WorkflowRun,
    job: WorkflowJob,
    spec: JobSpec,
    base: Record<string, unknown>,
    root: string,
    token: string,
  ): Promise<{ result: Conclusion; outputs: Record<string, string> }> {
    const workspace = join(root, 'workspace');
    const temp = join(root, 'temp');
    await mkdir(temp, { recursive: true });
    await mkdir(workspace, { recursive: true });
    const steps: Record<string, { outputs: Record<string, string>; outcome: Conclusion }> = {};
    const ctx = { ...base, runner: { temp, os: 'Linux' }, steps };
    const status: JobStatus = { failed: false, cancelled: false };
    const log = (line: string) => (job.log += `${line}\n`);
    const minutes = Number(interpolate(String(spec['timeout-minutes'] ?? 360), ctx, status));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`##[error]The job has exceeded the maximum execution time of ${minutes} minutes.`);
      for (const pid of this.children.get(run.id) ?? []) killGroup(pid);
    }, minutes * 60_000);
    try {
      for (const [n, step] of (spec.steps ?? []).entries()) {
        status.cancelled = run.cancelRequested || timedOut;
        const name = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${n + 1}`;
        const startedAt = this.o.now();
        if (!condition(step.if, ctx, status)) {
          job.steps.push({ name, conclusion: 'skipped', startedAt, completedAt: startedAt });
          continue;
        }
        log(`##[group]${name}`);
        let outcome: { ok: boolean; outputs: Record<string, string> };
        try {
          const given = Object.fromEntries(
            Object.entries(step.with ?? {}).map(([k, v]) => [
              k,
              interpolate(String(v), ctx, status),
            ]),
          );
          const env = Object.fromEntries(
            Object.entries(step.env ?? {}).map(([k, v]) => [
              k,
              interpolate(String(v), ctx, status),
            ]),
          );
          const script = step.run === undefined ? undefined : interpolate(step.run, ctx, status);
          outcome = await this.step(run, step, given, env, { workspace, temp, log }, script, token);
        } catch (e) {
          log(`##[error]${(e as Error).message}`);
          outcome = { ok: false, outputs: {} };
        }
        const conclusion: Conclusion = run.cancelRequested
          ? 'cancelled'
          : outcome.ok && !timedOut
            ? 'success'
            : 'failure';
        if (step.id) steps[step.id] = { outputs: outcome.outputs, outcome: conclusion };
        job.steps.push({ name, conclusion, startedAt, completedAt: this.o.now() });
        if (conclusion === 'failure') status.failed = true;
        log('##[endgroup]');
      }
      const outputs = Object.fromEntries(
        Object.entries(spec.outputs ?? {}).map(([k, v]) => [k, interpolate(v, ctx, status)]),
      );
      const result: Conclusion = run.cancelRequested
        ? 'cancelled'
        : status.failed || timedOut
          ? 'failure'
          : 'success';
      job.status = 'completed';
      job.conclusion = result;
      job.completedAt = this.o.now();
      return { result, outputs };
    } finally {
      clearTimeout(timer);
    }
  }

  private async step(
    run: WorkflowRun,
    step: StepSpec,
    given: Record<string, string>,
    env: Record<string, string>,
    where: { workspace: string; temp: string; log: (line: string) => void },
    script: string | undefined,
    token: string,
  ): Promise<{ ok: boolean; outputs: Record<string, string> }> {
    const uses = step.uses ?? '';
    const none = { ok: true, outputs: {} };
    if (uses.startsWith('actions/checkout@')) {
      const sha = await this.git.resolve(run.repo, given.ref || run.headSha);
      if (!sha) throw new Error(`actions/checkout: no ref ${given.ref}`);
      await this.git.clone(sha, where.workspace, {
        url: this.o.git.url(run.repo),
        token,
        persist: given['persist-credentials'] !== 'false',
      });
      where.log(`checked out ${sha}`);
      return none;
    }
    if (uses.startsWith('actions/upload-artifact@')) {
      const files = await readTree(resolve(where.workspace, given.path ?? ''));
      const name = given.name || 'artifact';
      if (run.artifacts.some((a) => a.name === name) && given.overwrite !== 'true')
        throw new Error(
          `Failed to CreateArtifact: an artifact with the name ${name} already exists in this run; set overwrite: true to replace it`,
        );
      if (!Object.keys(files).length) {
        where.log(`##[warning]No files were found with the provided path: ${given.path}`);
        return none;
      }
      run.artifacts = run.artifacts.filter((a) => a.name !== name);
      run.artifacts.push({
        id: this.o.nextId(),
        name,
        zip: zipSync(files),
        createdAt: this.o.now(),
      });
      where.log(`uploaded ${name} (${Object.keys(files).length} files)`);
      return none;
    }
    if (uses.startsWith('actions/download-artifact@')) {
      const artifact = run.artifacts.find((a) => a.name === given.name);
      if (!artifact) throw new Error(`Unable to download artifact(s): ${given.name} not found`);
      for (const [path, bytes] of Object.entries(unzipSync(artifact.zip))) {
        const to = join(resolve(where.workspace, given.path ?? ''), path);
        await mkdir(dirname(to), { recursive: true });
        await writeFile(to, bytes);
      }
      return none;
    }
    if (uses.startsWith(this.o.actionUses ?? 'gantry-dev/gantry@'))
      return this.action(run, given, env, where);
    if (script !== undefined)
      return this.withFiles(where, (files) =>
        // GitHub's default shell for `run:`.
        this.spawn(run, 'bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], where, {
          ...env,
          ...files,
        }),
      );
    throw new Error(`the stand-in does not run \`uses: ${uses}\``);
  }

  /** The Action's bundle, as the runner starts a `node24` action. */
  private async action(
    run: WorkflowRun,
    given: Record<string, string>,
    env: Record<string, string>,
    where: { workspace: string; temp: string; log: (line: string) => void },
  ): Promise<{ ok: boolean; outputs: Record<string, string> }> {
    const meta = parse(await readFile(join(this.o.actionDir, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default?: string }>;
      runs: { main: string };
    };
    const unknown = Object.keys(given).filter((k) => !(k in meta.inputs));
    for (const k of unknown) where.log(`##[warning]Unexpected input(s) '${k}'`);
    const inputs: Record<string, string> = {};
    for (const [k, spec] of Object.entries(meta.inputs)) {
      const v = given[k] ?? spec.default;
      if (v !== undefined) inputs[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
    }
    return this.withFiles(where, (files) =>
      this.spawn(run, process.execPath, [join(this.o.actionDir, meta.runs.main)], where, {
        ...inputs,
        ...env,
        ...files,
      }),
    );
  }

  /** A step with fresh `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files; its outputs. */
  private async withFiles(
    where: { temp: string },
    spawnStep: (files: Record<string, string>) => Promise<number>,
  ): Promise<{ ok: boolean; outputs: Record<string, string> }> {
    const output = join(where.temp, `output-${this.o.nextId()}`);
    const summary = join(where.temp, `summary-${this.o.nextId()}`);
    await writeFile(output, '');
    await writeFile(summary, '');
    const code = await spawnStep({ GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary });
    return { ok: code === 0, outputs: parseOutputs(await readFile(output, 'utf8')) };
  }

  private spawn(
    run: WorkflowRun,
    command: string,
    args: string[],
    where: { workspace: string; temp: string; log: (line: string) => void },
    env: Record<string, string>,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: where.workspace,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: where.temp,
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_WORKSPACE: where.workspace,
          GITHUB_REPOSITORY: run.repo,
          GITHUB_RUN_ID: String(run.id),
          GITHUB_EVENT_NAME: 'workflow_dispatch',
          GITHUB_SHA: run.headSha,
          RUNNER_TEMP: where.temp,
          RUNNER_OS: 'Linux',
          ...env,
        },
      });
      const pids = this.children.get(run.id) ?? new Set<number>();
      this.children.set(run.id, pids.add(child.pid!));
      // Cancelled while this step was starting.
      if (run.cancelRequested) killGroup(child.pid!);
      // What the step left running in the background ends with it, as on a runner.
      child.on('exit', () => killGroup(child.pid!));
      const add = (d: Buffer) => where.log(d.toString('utf8').trimEnd());
      child.stdout.on('data', add);
      child.stderr.on('data', add);
      child.on('error', reject);
      child.on('close', (code) => {
        pids.delete(child.pid!);
        resolve(code ?? 1);
      });
    });
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Every file under `root`, by path relative to it (what upload-artifact zips). */
async function readTree(root: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  let entries;
  try {
    if ((await stat(root)).isFile())
      return { [basename(root)]: new Uint8Array(await readFile(root)) };
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries)
    if (e.isFile()) {
      const full = join(e.parentPath, e.name);
      out[relative(root, full)] = new Uint8Array(await readFile(full));
    }
  return out;
}

/**
 * What a job's `GITHUB_TOKEN` may do with the repository's contents: the job's `permissions`,
 * else the workflow's; `{}` grants nothing; none at all means GitHub's default for new
 * repositories, read.
 */
function contentsPermission(spec: JobSpec, wf: Workflow): 'none' | 'read' | 'write' {
  const p = spec.permissions ?? wf.permissions;
  if (p === undefined) return 'read';
  if (p === 'read-all') return 'read';
  if (p === 'write-all') return 'write';
  const c = p.contents;
  return c === 'read' || c === 'write' ? c : 'none';
}
