import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOutputs } from '../../src/standin/outputs-file.js';

export { parseOutputs };

/** The publish mode's inputs for T1 attempt 1 of goal 42 on `base`; `extra` adds or overrides. */
export const publishInputs = (
  base: string,
  resultDir: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  mode: 'publish',
  goal: '42',
  attempt: '1',
  'base-sha': base,
  'task-id': 'T1',
  title: 'Add greet',
  'result-dir': resultDir,
  ...extra,
});

/** Build the action bundle once per test file, from the current sources, with the real build script. */
export function buildBundle(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'gantry-bundle-')), 'index.js');
  execFileSync(process.execPath, ['scripts/build-action.mjs', out], { stdio: 'inherit' });
  return out;
}

export interface ActionRun {
  exitCode: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/**
 * Run the bundle as the Actions runner would: inputs as INPUT_*, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, RUNNER_TEMP and GITHUB_WORKSPACE, secrets in the environment.
 */
export function runAction(
  bundle: string,
  workspace: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): ActionRun {
  const job = prepare(workspace, inputs, env);
  const r = spawnSync(process.execPath, [bundle], {
    cwd: workspace,
    encoding: 'utf8',
    env: job.env,
  });
  return job.finish(r.status ?? -1, `${r.stdout}${r.stderr}`);
}

/**
 * The same, without blocking this process: for a test whose own servers (a fake API, a host the
 * agent tries to reach) must answer while the action runs.
 */
export async function runActionAsync(
  bundle: string,
  workspace: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  const job = prepare(workspace, inputs, env);
  const child = spawn(process.execPath, [bundle], {
    cwd: workspace,
    env: job.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const [code] = (await once(child, 'close')) as [number | null];
  return job.finish(code ?? -1, log);
}

function prepare(workspace: string, inputs: Record<string, string>, env: Record<string, string>) {
  const temp = mkdtempSync(join(tmpdir(), 'gantry-runner-'));
  const outputFile = join(temp, 'output');
  const summaryFile = join(temp, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
  );
  return {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? temp,
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: temp,
      ...inputEnv,
      ...env,
    },
    finish: (exitCode: number, stdout: string): ActionRun => ({
      exitCode,
      stdout,
      outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
    }),
  };
}
