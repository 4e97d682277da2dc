import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHost } from './git-host.js';
import { parse } from 'yaml';
import { GantryConfigSchema } from '../app/config.js';
import { passedEnv, PROXY_AND_CA } from './passed-env.js';
import { ciPath, repoNode } from './repo-node.js';
import { killGroup, untilShellExits } from './shell-exit.js';

/** GitHub Actions' app: CI in the stand-in reports as it. */
export const ACTIONS_APP = { id: 15368, slug: 'github-actions' };
const MAX_LOG = 64 * 1024;
const MAX_ANNOTATIONS = 50;
const CONFIG = '.github/gantry.yml';

export interface CheckRun {
  id: number;
  name: string;
  status: 'completed';
  conclusion: 'success' | 'failure' | 'timed_out';
  summary: string;
  annotations: { path: string; start_line: number; end_line: number; message: string }[];
  log: string;
  startedAt: number;
  completedAt: number;
}

export interface CheckSuite {
  id: number;
  repo: string;
  sha: string;
  branch: string;
  before: string;
  app: { id: number; slug: string };
  status: 'completed';
  conclusion: CheckRun['conclusion'];
  runs: CheckRun[];
  createdAt: number;
}

/**
 * The repository's CI, as GitHub Actions would run it on a push the App made: the exact sha is
 * checked out, the repository's test command runs there, and a check suite with one check run
 * reports the real exit code, the end of the log and annotations parsed from the output
 * (`path:line: message`, as compilers and test runners print them).
 */
export class CiRunner {
  readonly suites: CheckSuite[] = [];

  constructor(
    private readonly git: GitHost,
    private readonly o: {
      /** The CI command of a repository; none means the repository has no CI. */
      command: (fullName: string) => string | undefined;
      nextId: () => number;
      now: () => number;
      /**
       * The time limit of a CI run, whatever the repository says (`--ci-timeout`); by default
       * its `ci.timeoutMinutes` in `.github/gantry.yml` (how long the App waits for CI).
       */
      timeoutMinutes?: number | undefined;
      /** More variables of the caller's environment CI gets (`--env NAME`). */
      env?: readonly string[] | undefined;
      /** The environment the stand-in was started in (default: this process's). */
      machineEnv?: Record<string, string | undefined>;
    },
  ) {}

  /** Run CI for a push; undefined when the repository has none. */
  async run(
    fullName: string,
    sha: string,
    branch: string,
    before: string,
  ): Promise<CheckSuite | undefined> {
    const command = this.o.command(fullName);
    if (command === undefined) return undefined;
    const dir = await mkdtemp(join(tmpdir(), 'standin-ci-'));
    const startedAt = this.o.now();
    try {
      await this.git.checkout(fullName, sha, dir);
      const machine = this.o.machineEnv ?? process.env;
      const limit = await this.timeLimit(fullName, sha);
      const node = await repoNode(dir, machine);
      const { code, output, timedOut } = await runCommand(
        command,
        dir,
        limit.minutes * 60_000,
        ciEnv(machine, node.bin, this.o.env ?? []),
      );
      const conclusion = timedOut ? 'timed_out' : code === 0 ? 'success' : 'failure';
      // What a reader of the log needs first: where it ran and for how long it could.
      const head = [node.line, `Time limit: ${limit.minutes} minutes (${limit.from}).`]
        .filter(Boolean)
        .map((l) => `${l}\n`)
        .join('');
      const run: CheckRun = {
        id: this.o.nextId(),
        name: 'test',
        status: 'completed',
        conclusion,
        summary: timedOut
          ? `The job timed out after ${limit.minutes} minutes (${limit.from}).`
          : `\`${command}\` exited with ${code}.`,
        annotations: conclusion === 'success' ? [] : annotations(output),
        log: head + output.slice(-(MAX_LOG - head.length)),
        startedAt,
        completedAt: this.o.now(),
      };
      const suite: CheckSuite = {
        id: this.o.nextId(),
        repo: fullName,
        sha,
        branch,
        before,
        app: ACTIONS_APP,
        status: 'completed',
        conclusion,
        runs: [run],
        createdAt: startedAt,
      };
      this.suites.push(suite);
      return suite;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The `--ci-timeout` given, or `ci.timeoutMinutes` of the config at this sha (or its default). */
  private async timeLimit(
    fullName: string,
    sha: string,
  ): Promise<{ minutes: number; from: string }> {
    if (this.o.timeoutMinutes !== undefined)
      return { minutes: this.o.timeoutMinutes, from: '--ci-timeout' };
    const text = await this.git.readFile(fullName, sha, CONFIG);
    let raw: unknown;
    try {
      raw = text === undefined ? undefined : parse(text);
    } catch {
      raw = undefined;
    }
    // Only the `ci` key: a typo elsewhere in the file is the App's to report, not CI's.
    const ci = (raw as { ci?: unknown } | null | undefined)?.ci;
    const parsed = GantryConfigSchema.shape.ci.safeParse(ci);
    const given = typeof ci === 'object' && ci !== null && 'timeoutMinutes' in ci;
    if (parsed.success)
      return {
        minutes: parsed.data.timeoutMinutes,
        from: given ? `ci.timeoutMinutes in ${CONFIG}` : `the default of ci.timeoutMinutes`,
      };
    const fallback = GantryConfigSchema.shape.ci.parse(undefined).timeoutMinutes;
    return { minutes: fallback, from: `the default: ci in ${CONFIG} is invalid` };
  }

  suitesFor(fullName: string, sha: string): CheckSuite[] {
    return this.suites.filter((s) => s.repo === fullName && s.sha === sha);
  }

  findRun(id: number): { suite: CheckSuite; run: CheckRun } | undefined {
    for (const suite of this.suites) {
      const run = suite.runs.find((r) => r.id === id);
      if (run) return { suite, run };
    }
    return undefined;
  }
}

function runCommand(
  command: string,
  cwd: string,
  timeoutMs: number,
  env: Record<string, string>,
): Promise<{ code: number; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops whatever the command started too.
    const child = spawn('sh', ['-c', command], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let output = '';
    const add = (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-4 * MAX_LOG);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid!);
    }, timeoutMs);
    // The step ends when its shell exits, as on Actions: a server the tests started in the
    // background and left running does not hold it (it is killed with the step's group).
    untilShellExits(child).then((code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    }, reject);
  });
}

/** `path:line: message` and `path:line:col: message` lines of the output, as annotations. */
export function annotations(output: string): CheckRun['annotations'] {
  const found: CheckRun['annotations'] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*(?:❯\s*)?([\w./-]+\.[a-z]+):(\d+)(?::\d+)?:?\s+(.+)$/.exec(line);
    if (!m) continue;
    const lineNo = Number(m[2]);
    found.push({ path: m[1]!, start_line: lineNo, end_line: lineNo, message: m[3]!.trim() });
    if (found.length === MAX_ANNOTATIONS) break;
  }
  return found;
}

/**
 * What CI may see of this machine: the tools' paths (the chosen Node first), HOME, the locale,
 * what a proxy or a custom CA needs, and the variables asked for with `--env`; no other secrets
 * of the shell that started the stand-in (the code under test may be a model's).
 */
function ciEnv(
  machine: Record<string, string | undefined>,
  node: string | undefined,
  extra: readonly string[],
): Record<string, string> {
  return {
    ...passedEnv(['HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', ...PROXY_AND_CA, ...extra], machine),
    PATH: ciPath(node, machine.PATH),
    CI: 'true',
  };
}
