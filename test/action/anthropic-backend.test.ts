import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnthropicBackend } from '../../src/action/agent/anthropic-backend.js';
import { runAgentJob } from '../../src/action/agent/agent-mode.js';
import { AgentInputsSchema } from '../../src/action/inputs.js';
import { answerMessages, messageResponse } from '../support/anthropic-api.js';
import { makeRepo } from '../support/git-repo.js';
import { task } from '../support/plans.js';
import { offlineHttp } from '../support/offline-http.js';

let toolIds = 0;
/** An assistant turn that calls tools, as the Messages API sends it. */
function toolTurn(...calls: [string, Record<string, unknown>][]) {
  return {
    ...messageResponse(''),
    content: calls.map(([name, input]) => ({
      type: 'tool_use',
      id: `toolu_${++toolIds}`,
      name,
      input,
    })),
    stop_reason: 'tool_use',
    usage: {
      input_tokens: 1000,
      output_tokens: 100,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  };
}

function toolResults(body: Record<string, unknown>): { content: string; is_error?: boolean }[] {
  const messages = body.messages as { role: string; content: unknown }[];
  return messages.at(-1)!.content as { content: string; is_error?: boolean }[];
}

const inputs = (base: string, spec: object, out: string) =>
  AgentInputsSchema.parse({
    mode: 'agent',
    task: JSON.stringify(spec),
    goal: '7',
    attempt: '1',
    'base-sha': base,
    'distinct-id': 'd1',
    backend: 'anthropic',
    model: 'claude-sonnet-5-5',
    'max-turns': '10',
    'max-budget-usd': '1',
    'criteria-iterations': '2',
    'timeout-minutes': '5',
    knowledge: '[{"kind":"decision","text":"Use ESM.","source":"T1"}]',
    guidance: '',
    command: '',
    'output-dir': out,
    'blocked-paths': '.github/**',
    'max-files': '200',
    'max-patch-bytes': '1000000',
    'max-file-bytes': '100000',
    isolation: 'contained',
    'allowed-hosts': '',
    pricing: '{}',
  });

offlineHttp();

describe('the anthropic backend', () => {
  it('edits files through its tools until the criteria pass, and reports usage and findings', async () => {
    const repo = makeRepo({ 'src/add.js': 'export const add = (a, b) => a - b;\n' });
    const spec = task('T2', [], {
      criteria: [
        { kind: 'grep', pattern: 'a \\+ b', in: 'src/add.js', present: true },
        { kind: 'file', path: 'test/add.test.js', exists: true },
      ],
    });
    const api = answerMessages([
      [200, toolTurn(['read_file', { path: 'src/add.js' }], ['list_files', {}])],
      [
        200,
        toolTurn(
          ['edit_file', { path: 'src/add.js', old_text: 'a - b', new_text: 'a + b' }],
          ['write_file', { path: 'test/add.test.js', content: 'ok\n' }],
        ),
      ],
      [
        200,
        toolTurn(
          ['run_command', { command: 'cat src/add.js; echo "key=[$ANTHROPIC_API_KEY]"' }],
          ['note_finding', { kind: 'gotcha', text: 'add() was subtracting.' }],
        ),
      ],
      [
        200,
        {
          ...messageResponse('Fixed add() and added a test.'),
          usage: {
            input_tokens: 500,
            output_tokens: 50,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
        },
      ],
    ]);
    const out = mkdtempSync(join(tmpdir(), 'gantry-out-'));
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test-secret';
    const result = await runAgentJob({
      inputs: inputs(repo.base, spec, out),
      workspace: repo.dir,
      backend: new AnthropicBackend({ apiKey: 'sk-ant-test-secret' }),
    });
    delete process.env.ANTHROPIC_API_KEY;
    expect(readFileSync(join(repo.dir, 'src/add.js'), 'utf8')).toBe(
      'export const add = (a, b) => a + b;\n',
    );
    expect(result).toMatchObject({
      status: 'success',
      backend: 'anthropic',
      iterations: 1,
      filesChanged: ['src/add.js', 'test/add.test.js'],
      summary: 'Fixed add() and added a test.',
    });
    expect(result.findings).toEqual([{ kind: 'gotcha', text: 'add() was subtracting.' }]);
    // 3 turns of 1000/100 and one of 500/50 tokens at Sonnet 5.5's $2 / $10 per million.
    expect(result.usage).toMatchObject({
      turns: 4,
      inputTokens: 3500,
      outputTokens: 350,
      costUsd: 0.0105,
    });
    const first = toolResults(api.bodies[1]!);
    expect(first[0]!.content).toBe('export const add = (a, b) => a - b;\n');
    expect(first[1]!.content).toBe('src/add.js');
    // Its commands see no key.
    expect(toolResults(api.bodies[3]!)[0]!.content).toContain('key=[]');
    // The knowledge of earlier tasks is in the first prompt.
    expect((api.bodies[0]!.messages as { content: string }[])[0]!.content).toContain(
      '[decision] Use ESM. (T1)',
    );
  });

  it('refuses paths that leave the workspace, including through a symlink', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const outside = mkdtempSync(join(tmpdir(), 'gantry-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
    symlinkSync(outside, join(repo.dir, 'link'));
    const spec = task('T1', [], { criteria: [{ kind: 'file', path: 'a.txt', exists: true }] });
    const api = answerMessages([
      [
        200,
        toolTurn(
          ['read_file', { path: '../../etc/passwd' }],
          ['read_file', { path: '/etc/passwd' }],
          ['read_file', { path: 'link/secret.txt' }],
          ['write_file', { path: 'link/evil.txt', content: 'x' }],
          ['write_file', { path: '.git/config', content: 'x' }],
          ['edit_file', { path: 'a.txt', old_text: 'zzz', new_text: 'y' }],
        ),
      ],
      [200, messageResponse('Done.')],
    ]);
    const out = mkdtempSync(join(tmpdir(), 'gantry-out-'));
    await runAgentJob({
      inputs: inputs(repo.base, spec, out),
      workspace: repo.dir,
      backend: new AnthropicBackend({ apiKey: 'k' }),
    });
    const results = toolResults(api.bodies[1]!);
    expect(results.map((r) => r.is_error)).toEqual([true, true, true, true, true, true]);
    expect(results.map((r) => r.content)).toEqual([
      '../../etc/passwd: the path leaves the repository',
      '/etc/passwd: absolute paths are not allowed; use a path relative to the repository root',
      'link/secret.txt: the path leads out of the repository through a symlink',
      'link/evil.txt: the path leads out of the repository through a symlink',
      '.git/config: the .git directory is off limits',
      'a.txt: old_text occurs 0 times; it must occur exactly once (include more context)',
    ]);
  });

  it('stops at the turn limit and keeps the work so far as partial', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const spec = task('T1', [], { criteria: [{ kind: 'command', run: 'exit 1' }] });
    answerMessages([
      [200, toolTurn(['write_file', { path: 'b.txt', content: 'b' }])],
      [200, toolTurn(['list_files', {}])],
    ]);
    const out = mkdtempSync(join(tmpdir(), 'gantry-out-'));
    const i = { ...inputs(repo.base, spec, out), 'max-turns': 2 };
    const result = await runAgentJob({
      inputs: i,
      workspace: repo.dir,
      backend: new AnthropicBackend({ apiKey: 'k' }),
    });
    expect(result).toMatchObject({
      status: 'partial',
      reason: 'the agent reached its turn limit; the work so far is kept',
      filesChanged: ['b.txt'],
    });
    expect(readFileSync(join(out, 'gantry.patch'), 'utf8')).toContain('+++ b/b.txt');
  });
});
