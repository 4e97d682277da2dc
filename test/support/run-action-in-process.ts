import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/action/main.js';
import { parseOutputs } from '../../src/standin/outputs-file.js';

/**
 * Run the action's entry in this process with the runner's env contract (inputs as INPUT_*,
 * secrets in the environment), so what the test serves (a fake API, nock) can answer it.
 */
export async function runActionInProcess(
  workspace: string,
  inputs: Record<string, string>,
  secrets: Record<string, string>,
): Promise<{ outputs: Record<string, string>; failed: boolean }> {
  const temp = mkdtempSync(join(tmpdir(), 'gantry-runner-'));
  const env: Record<string, string> = {
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: join(temp, 'output'),
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
    RUNNER_TEMP: temp,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...secrets,
  };
  writeFileSync(env.GITHUB_OUTPUT!, '');
  writeFileSync(env.GITHUB_STEP_SUMMARY!, '');
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const exitCode = process.exitCode;
  try {
    await run();
    return {
      outputs: parseOutputs(readFileSync(env.GITHUB_OUTPUT!, 'utf8')),
      failed: process.exitCode === 1,
    };
  } finally {
    process.env = saved;
    process.exitCode = exitCode;
  }
}
