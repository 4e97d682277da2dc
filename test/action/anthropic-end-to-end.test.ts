import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TaskResultSchema } from '../../src/core/task-result.js';
import { buildBundle, runAction } from '../support/action-runner.js';
import { messageResponse } from '../support/anthropic-api.js';
import { fakeAnthropicApi } from '../support/fake-anthropic-api.js';
import { freshCheckout, makeRepo, sh } from '../support/git-repo.js';
import { task } from '../support/plans.js';
import { runActionInProcess } from '../support/run-action-in-process.js';

let bundle: string;
beforeAll(() => {
  bundle = buildBundle();
});
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('a task through the action with the anthropic backend', () => {
  it('takes a task spec in and gives a pushed task branch and a result file out, its cost metered by the gateway', async () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const spec = task('T3', [], {
      title: 'Add a changelog',
      criteria: [{ kind: 'grep', pattern: '^## 0\\.1\\.0', in: 'CHANGELOG.md', present: true }],
    });
    // The job's gateway forwards to this fake of the API (the runner's ANTHROPIC_BASE_URL).
    const api = await fakeAnthropicApi([
      {
        json: {
          ...messageResponse('', { model: 'claude-sonnet-5-5' }),
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
      },
      { json: messageResponse('Added CHANGELOG.md.', { model: 'claude-sonnet-5-5' }) },
    ]);
    open.push(api);
    const agent = await runActionInProcess(
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
      { ANTHROPIC_API_KEY: 'sk-ant-e2e', ANTHROPIC_BASE_URL: api.url },
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
    // Two answers of 1200 in, 800 out and 3000 cache-write tokens at Sonnet 5.5's prices.
    expect(result.usage).toEqual({
      inputTokens: 2400,
      outputTokens: 1600,
      cacheReadTokens: 0,
      cacheWriteTokens: 6000,
      costUsd: 0.0358,
      turns: 2,
    });
    // The SDK talked to the gateway; only the gateway held the key.
    expect(api.calls.map((c) => c.headers['x-api-key'])).toEqual(['sk-ant-e2e', 'sk-ant-e2e']);

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
