import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHost } from './git-host.js';

/** GitHub Actions' app: CI in the stand-in reports as it. */
export const ACTIONS_APP = { id: 15368, slug: 'github-actions' };
const MAX_LOG = 64 * 1024;
const MAX_ANNOTATIONS = 50;

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
      timeoutMs?: number;
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
      const { code, output, timedOut } = await runCommand(
        command,
        dir,
        this.o.timeoutMs ?? 10 * 60_000,
      );
      const conclusion = timedOut ? 'timed_out' : code === 0 ? 'success' : 'failure';
      const run: CheckRun = {
        id: this.o.nextId(),
        name: 'test',
        status: 'completed',
        conclusion,
        summary: timedOut ? 'The job timed out.' : `\`${command}\` exited with ${code}.`,
        annotations: conclusion === 'success' ? [] : annotations(output),
        log: output.slice(-MAX_LOG),
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
): Promise<{ code: number; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops whatever the command started too.
    const child = spawn('sh', ['-c', command], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // What CI may see of this machine: no secrets from the shell that started the stand-in
      // (the code under test may be a model's).
      env: ciEnv(),
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
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output, timedOut });
    });
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

/** The environment CI runs in: the tools' paths and locale, nothing else of the caller's. */
function ciEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ'];
  const env: Record<string, string> = { CI: 'true' };
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}
