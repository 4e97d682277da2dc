import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/action/main.js';
import { TaskResultSchema } from '../../src/core/task-result.js';
import { buildBundle, parseOutputs, runAction } from '../support/action-runner.js';
import { answerMessages, messageResponse } from '../support/anthropic-api.js';
import { freshCheckout, makeRepo, sh } from '../support/git-repo.js';
import { task } from '../support/plans.js';
import { offlineHttp } from '../support/offline-http.js';

let bundle: string;
beforeAll(() => {
  bundle = buildBundle();
});

/** Run the action's entry in this process with the runner's env contract, so nock can answer for the API. */
async function runInProcess(
  workspace: string,
  inputs: Record<string, string>,
  secrets: Record<string, string>,
) {
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

offlineHttp();

describe('a task through the action with the anthropic backend', () => {
  it('takes a task spec in and gives a pushed task branch and a result file out', async () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const spec = task('T3', [], {
      title: 'Add a changelog',
      criteria: [{ kind: 'grep', pattern: '^## 0\\.1\\.0', in: 'CHANGELOG.md', present: true }],
    });
    answerMessages([
      [
        200,
        {
          ...messageResponse(''),
          stop_reason: 'tool_use',
          content: [
            {
              type: 'tool_use',
              id: 'toolu_01',
              name: 'write_file',
              input: {
                path: 'CHANGELOG.md',
                content: '# Changelog\n\n## 0.1.0\n\n- First release.\n',
              },
            },
          ],
        },
      ],
      [200, messageResponse('Added CHANGELOG.md.')],
    ]);
    const agent = await runInProcess(
      repo.dir,
      {
        mode: 'agent',
        goal: '9',
        attempt: '2',
        'base-sha': repo.base,
        task: JSON.stringify(spec),
        backend: 'anthropic',
        model: 'claude-sonnet-5-5',
      },
      { ANTHROPIC_API_KEY: 'sk-ant-e2e' },
    );
    expect(agent.failed).toBe(false);
    expect(agent.outputs.status).toBe('success');
    const result = TaskResultSchema.parse(
      JSON.parse(readFileSync(join(agent.outputs['result-dir']!, 'gantry-result.json'), 'utf8')),
    );
    expect(result).toMatchObject({
      taskId: 'T3',
      attempt: 2,
      status: 'success',
      backend: 'anthropic',
      filesChanged: ['CHANGELOG.md'],
    });

    const publish = runAction(bundle, freshCheckout(repo.remote), {
      mode: 'publish',
      goal: '9',
      attempt: '2',
      'base-sha': repo.base,
      'task-id': 'T3',
      title: spec.title,
      'result-dir': agent.outputs['result-dir']!,
    });
    expect(publish.exitCode, publish.stdout).toBe(0);
    expect(publish.outputs.branch).toBe('gantry/9/T3/2');
    expect(sh(repo.remote, 'show', 'gantry/9/T3/2:CHANGELOG.md')).toContain('## 0.1.0');
  });
});
