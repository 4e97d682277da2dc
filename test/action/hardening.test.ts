import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAgentJob } from '../../src/action/agent/agent-mode.js';
import type { AgentBackend } from '../../src/action/agent/backend.js';
import { ToolError, WorkspaceTools } from '../../src/action/agent/workspace-tools.js';
import { AgentInputsSchema } from '../../src/action/inputs.js';
import { runCommand } from '../../src/action/run-command.js';
import { buildBundle, publishInputs, runAction } from '../support/action-runner.js';
import { freshCheckout, makeRepo, sh } from '../support/git-repo.js';
import { task } from '../support/plans.js';
import { handMadeResult } from './hand-made-result.js';

let bundle: string;
beforeAll(() => {
  bundle = buildBundle();
});

const passing = task('T1', [], {
  title: 'Change things',
  criteria: [{ kind: 'command', run: 'true' }],
});
const agentInputs = (base: string, command: string) => ({
  mode: 'agent',
  goal: '5',
  attempt: '1',
  'base-sha': base,
  task: JSON.stringify(passing),
  backend: 'command',
  command,
});
const publishWith = (base: string, resultDir: string, extra: Record<string, string> = {}) =>
  publishInputs(base, resultDir, { goal: '5', title: 'Change things', ...extra });

describe('agent job hardening', () => {
  it("does not let the agent make Gantry's own git run its commands with the secrets", () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const leak = join(mkdtempSync(join(tmpdir(), 'gantry-leak-')), 'leak.txt');
    const plant = `git config core.fsmonitor 'env > ${leak}; false' && git config filter.x.clean 'env >> ${leak}; cat' && echo '*.txt filter=x' > .gitattributes && echo b > b.txt`;
    const run = runAction(bundle, repo.dir, agentInputs(repo.base, plant), {
      ANTHROPIC_API_KEY: 'sk-ant-leak-check',
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(existsSync(leak) ? readFileSync(leak, 'utf8') : '').not.toContain('sk-ant-leak-check');
    // The planted settings are undone: .git/config is as it was before the agent.
    expect(() => sh(repo.dir, 'config', '--get', 'core.fsmonitor')).toThrow();
  });

  it('keeps the work when the backend throws midway', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const out = mkdtempSync(join(tmpdir(), 'gantry-out-'));
    const crashing: AgentBackend = {
      name: 'command',
      run: () => {
        writeFileSync(join(repo.dir, 'half.txt'), 'half done\n');
        return Promise.reject(new Error('the agent crashed'));
      },
    };
    const inputs = AgentInputsSchema.parse({
      ...agentInputs(repo.base, 'x'),
      'distinct-id': '',
      model: 'm',
      'max-turns': '5',
      'max-budget-usd': '1',
      'criteria-iterations': '2',
      'timeout-minutes': '5',
      knowledge: '[]',
      guidance: '',
      'output-dir': out,
      'blocked-paths': '',
      'max-files': '200',
      'max-patch-bytes': '100000',
      'max-file-bytes': '100000',
      isolation: 'contained',
      'allowed-hosts': '',
      pricing: '{}',
    });
    const result = await runAgentJob({ inputs, workspace: repo.dir, backend: crashing });
    expect(result).toMatchObject({
      status: 'partial',
      reason: 'the agent failed: the agent crashed; the work so far is kept',
      filesChanged: ['half.txt'],
    });
    expect(readFileSync(join(out, 'gantry.patch'), 'utf8')).toContain('+half done');
  });
});

describe('workspace tools hardening', () => {
  function workspace() {
    const root = mkdtempSync(join(tmpdir(), 'gantry-ws-'));
    const ws = join(root, 'ws');
    const outside = join(root, 'outside');
    mkdirSync(ws);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'TOPSECRET\n');
    writeFileSync(join(ws, 'inside.txt'), 'hello\n');
    return { ws, outside };
  }

  it('refuses to write through a dangling symlink that points outside', async () => {
    const { ws, outside } = workspace();
    symlinkSync(join(outside, 'pwned.txt'), join(ws, 'evil'));
    await expect(new WorkspaceTools(ws).writeFile('evil', 'x')).rejects.toThrow(ToolError);
    expect(existsSync(join(outside, 'pwned.txt'))).toBe(false);
  });

  it('keeps search and list_files inside the workspace, patterns and links alike', async () => {
    const { ws, outside } = workspace();
    symlinkSync(join(outside, 'secret.txt'), join(ws, 'link.txt'));
    const tools = new WorkspaceTools(ws);
    await expect(tools.search('TOPSECRET', '../outside/*')).rejects.toThrow(
      'patterns must stay inside the repository',
    );
    await expect(tools.search('TOPSECRET', `${outside}/*`)).rejects.toThrow(
      'patterns must stay inside the repository',
    );
    expect(await tools.search('TOPSECRET')).toBe('(no matches)');
    expect(await tools.listFiles()).toBe('inside.txt');
    // A link that stays inside is fine.
    symlinkSync(join(ws, 'inside.txt'), join(ws, 'alias.txt'));
    expect(await tools.readFile('alias.txt')).toBe('hello\n');
  });
});

describe('command runner hardening', () => {
  const cwd = tmpdir();

  it('returns when the command exits, killing what it left running in the background', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'gantry-bg-')), 'late');
    const r = await runCommand(`(sleep 2; touch ${marker}) & echo started`, {
      cwd,
      timeoutMs: 30_000,
    });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
    expect(r.output).toContain('started');
    await runCommand('sleep 3', { cwd, timeoutMs: 30_000 });
    expect(existsSync(marker)).toBe(false);
  });

  it('does not wait for a process that left the group', async () => {
    const r = await runCommand('setsid sleep 30 & echo hi', { cwd, timeoutMs: 30_000 });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
  });

  it('does not start a command once the time limit has passed', async () => {
    const r = await runCommand('echo ran', { cwd, timeoutMs: 30_000, signal: AbortSignal.abort() });
    expect(r).toMatchObject({
      timedOut: true,
      output: 'not run: the time limit was already reached',
    });
  });
});

describe('publish hardening', () => {
  function agentThen(files: Record<string, string>, command: string) {
    const repo = makeRepo(files);
    const run = runAction(bundle, repo.dir, agentInputs(repo.base, command));
    expect(run.outputs.status).toBe('success');
    return { repo, resultDir: run.outputs['result-dir']! };
  }

  it('checks both paths of a rename out of a blocked directory', () => {
    const { repo, resultDir } = agentThen(
      { 'docs/a.txt': 'keep me\n' },
      'git mv docs/a.txt moved.txt',
    );
    const run = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir, { 'blocked-paths': 'docs/**' }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('docs/a.txt: blocked by `blockedPaths`');
  });

  it('checks names with tabs and other odd characters exactly', () => {
    const { repo, resultDir } = agentThen(
      { 'a.txt': 'a\n' },
      'printf x > "$(printf \'key\\t.pem\')"',
    );
    const run = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir, { 'blocked-paths': '*.pem' }),
    );
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.stdout).toContain('.pem: blocked by `blockedPaths`');
  });

  it('refuses symlinks that point outside the repository or into .git', () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const resultDir = handMadeResult(
      repo,
      'ln -s /etc/passwd pw && mkdir -p d && ln -s ../../../x d/up && ln -s ../a.txt d/ok && ln -s .git/config cfg',
      { goal: 5, taskId: 'T1' },
    );
    const run = runAction(bundle, freshCheckout(repo.remote), publishWith(repo.base, resultDir));
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('pw: a symlink to /etc/passwd, outside the repository');
    expect(run.stdout).toContain('d/up: a symlink to ../../../x, outside the repository');
    expect(run.stdout).toContain('cfg: a symlink to .git/config, into `.git`');
    expect(run.stdout).not.toContain('d/ok');
    expect(readdirSync(repo.root)).toContain('remote.git');
  });
});
