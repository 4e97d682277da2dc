import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseOutputs } from './outputs-file.js';
import { passedEnv, PROXY_AND_CA } from './passed-env.js';
import { killGroup, untilShellExits } from './shell-exit.js';
import type { WorkflowRun } from './workflow-run.js';

/** Where a step runs, and where its output goes. */
export interface StepPlace {
  workspace: string;
  temp: string;
  log: (line: string) => void;
}

export interface StepOutcome {
  ok: boolean;
  outputs: Record<string, string>;
}

/**
 * The processes of workflow steps, as a runner starts them: each in its own process group, with
 * the runner's environment (`GITHUB_*`, `RUNNER_*`, fresh `GITHUB_OUTPUT` and
 * `GITHUB_STEP_SUMMARY` files), output into the job's log, and ended with the step or when its
 * run is cancelled or times out.
 */
export class StepProcesses {
  /** Process groups still running, by run id. */
  private readonly children = new Map<number, Set<number>>();

  constructor(
    private readonly nextId: () => number,
    private readonly o: {
      /** More variables of the caller's environment jobs get (`--env NAME`). */
      env?: readonly string[] | undefined;
      /** The environment the stand-in was started in (default: this process's). */
      machineEnv?: Record<string, string | undefined>;
    } = {},
  ) {}

  /** Stop every process of a run (cancelled, or its job timed out). */
  kill(runId: number): void {
    for (const pid of this.children.get(runId) ?? []) killGroup(pid);
  }

  /** A `run:` script, in GitHub's default shell for it. */
  script(
    run: WorkflowRun,
    script: string,
    where: StepPlace,
    env: Record<string, string>,
  ): Promise<StepOutcome> {
    return this.withFiles(where, (files) =>
      this.spawn(run, 'bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], where, {
        ...env,
        ...files,
      }),
    );
  }

  /** A JavaScript action's entry point, as the runner starts a `node24` action. */
  node(
    run: WorkflowRun,
    main: string,
    where: StepPlace,
    env: Record<string, string>,
  ): Promise<StepOutcome> {
    return this.withFiles(where, (files) =>
      this.spawn(run, process.execPath, [main], where, { ...env, ...files }),
    );
  }

  /** A step with fresh `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files; its outputs. */
  private async withFiles(
    where: StepPlace,
    spawnStep: (files: Record<string, string>) => Promise<number>,
  ): Promise<StepOutcome> {
    const output = join(where.temp, `output-${this.nextId()}`);
    const summary = join(where.temp, `summary-${this.nextId()}`);
    await writeFile(output, '');
    await writeFile(summary, '');
    const code = await spawnStep({ GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary });
    return { ok: code === 0, outputs: parseOutputs(await readFile(output, 'utf8')) };
  }

  private spawn(
    run: WorkflowRun,
    command: string,
    args: string[],
    where: StepPlace,
    env: Record<string, string>,
  ): Promise<number> {
    const machine = this.o.machineEnv ?? process.env;
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: where.workspace,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          // The user's HOME (as a self-hosted runner's user has one), what a proxy or a custom
          // CA needs, and what `--env` names; no other variable of the caller's.
          ...passedEnv(['HOME', ...PROXY_AND_CA, ...(this.o.env ?? [])], machine),
          PATH: machine.PATH ?? '/usr/bin:/bin',
          // Git as on a fresh runner: the user's ~/.gitconfig (commit signing, hooks, URL
          // rewrites) must not change what the Action's commits and pushes do.
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_CONFIG_NOSYSTEM: '1',
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
      const add = (d: Buffer) => where.log(d.toString('utf8').trimEnd());
      child.stdout.on('data', add);
      child.stderr.on('data', add);
      // The step ends when its shell exits; what it left in the background ends with it.
      untilShellExits(child).then((code) => {
        pids.delete(child.pid!);
        resolve(code);
      }, reject);
    });
  }
}
