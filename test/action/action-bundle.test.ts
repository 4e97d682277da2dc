import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TaskResultSchema } from '../../src/core/task-result.js';
import { buildBundle, publishInputs, runAction } from '../support/action-runner.js';
import { freshCheckout, makeRepo, sh } from '../support/git-repo.js';
import { task } from '../support/plans.js';
import { handMadeResult } from './hand-made-result.js';

let bundle: string;
beforeAll(() => {
  bundle = buildBundle();
});

const SECRETS = {
  ANTHROPIC_API_KEY: 'sk-ant-secret-value-123',
  GITHUB_TOKEN: 'ghs_secret_token_456',
  MY_DEPLOY_TOKEN: 'deploy-789',
};

function agentInputs(base: string, spec: object, extra: Record<string, string> = {}) {
  return {
    mode: 'agent',
    goal: '42',
    attempt: '1',
    'base-sha': base,
    task: JSON.stringify(spec),
    backend: 'command',
    ...extra,
  };
}

const readResult = (dir: string) =>
  TaskResultSchema.parse(JSON.parse(readFileSync(join(dir, 'gantry-result.json'), 'utf8')));

describe('the action, agent job (command backend) through its env contract', () => {
  it('runs the agent, checks the criteria, and writes the patch, the result, outputs and the summary', () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const spec = task('T1', [], {
      title: 'Add greet',
      criteria: [
        { kind: 'file', path: 'src/greet.js', exists: true },
        { kind: 'command', run: 'node src/greet.js | grep -q hello' },
      ],
    });
    const run = runAction(
      bundle,
      repo.dir,
      agentInputs(repo.base, spec, {
        command:
          'mkdir -p src && echo "console.log(\'hello\')" > src/greet.js && echo "wrote greet"',
      }),
      SECRETS,
    );
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('success');
    const result = readResult(run.outputs['result-dir']!);
    expect(result).toMatchObject({
      status: 'success',
      taskId: 'T1',
      goal: 42,
      attempt: 1,
      backend: 'command',
      iterations: 1,
      filesChanged: ['src/greet.js'],
      criteria: { passed: true },
    });
    expect(result.summary).toContain('wrote greet');
    const patch = readFileSync(join(run.outputs['result-dir']!, 'gantry.patch'), 'utf8');
    expect(patch).toContain('+++ b/src/greet.js');
    expect(run.summary).toContain('Gantry T1 (goal #42, attempt 1): success');
    expect(run.summary).toContain('<td>✅</td>');
  });

  it('feeds failing criteria back to the agent for another round', () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const spec = task('T2', [], {
      criteria: [{ kind: 'grep', pattern: 'fixed', in: 'notes.txt', present: true }],
    });
    // The first round writes the wrong thing; the second reads the feedback and fixes it.
    const agent =
      'if [ "$GANTRY_ROUND" = 1 ]; then echo broken > notes.txt; else grep -q "do not pass" "$GANTRY_PROMPT_FILE" && echo fixed > notes.txt; fi';
    const run = runAction(bundle, repo.dir, agentInputs(repo.base, spec, { command: agent }));
    const result = readResult(run.outputs['result-dir']!);
    expect(result).toMatchObject({ status: 'success', iterations: 2 });
  });

  it('gives the agent command and the criteria commands a minimal environment: no secret, no runner variable', () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    // The criterion fails, so what it printed is in the result.
    const spec = task('T3', [], { criteria: [{ kind: 'command', run: 'env; exit 1' }] });
    const run = runAction(
      bundle,
      repo.dir,
      agentInputs(repo.base, spec, { command: 'env > agent-env.txt', 'criteria-iterations': '1' }),
      SECRETS,
    );
    expect(run.exitCode, run.stdout).toBe(0);
    const dir = run.outputs['result-dir']!;
    // The agent's file is in the change (the agent works in a copy of the checkout).
    const agentEnv = readFileSync(join(dir, 'gantry.patch'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
      .map((l) => l.slice(1))
      .join('\n');
    const criteriaEnv = readResult(dir).criteria.outcomes[0]!.detail;
    for (const env of [agentEnv, criteriaEnv]) {
      expect(env).toMatch(/^HOME=/m);
      expect(env).toMatch(/^PATH=/m);
      for (const secret of Object.values(SECRETS)) expect(env).not.toContain(secret);
      expect(env).not.toMatch(/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/m);
    }
    // The command agent is told which task and attempt it works on.
    expect(agentEnv).toMatch(/^GANTRY_TASK_ID=T3$/m);
    expect(agentEnv).toMatch(/^GANTRY_ATTEMPT=1$/m);
  });

  it('keeps partial work when the criteria never pass', () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const spec = task('T4', [], { criteria: [{ kind: 'command', run: 'exit 1' }] });
    const run = runAction(
      bundle,
      repo.dir,
      agentInputs(repo.base, spec, {
        command: 'echo work >> README.md',
        'criteria-iterations': '2',
      }),
    );
    const result = readResult(run.outputs['result-dir']!);
    expect(result).toMatchObject({
      status: 'partial',
      iterations: 2,
      reason: 'the criteria did not pass after 2 rounds',
      filesChanged: ['README.md'],
    });
  });

  it('checks out the base sha it was given', () => {
    const repo = makeRepo({ 'a.txt': 'v1\n' });
    sh(
      repo.dir,
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@e',
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'later',
    );
    const spec = task('T5', [], {
      criteria: [{ kind: 'command', run: `test "$(git rev-parse HEAD)" = ${repo.base}` }],
    });
    const run = runAction(bundle, repo.dir, agentInputs(repo.base, spec, { command: 'true' }));
    expect(readResult(run.outputs['result-dir']!).status).toBe('success');
  });

  it('fails the job with a message that names a bad input', () => {
    const repo = makeRepo({ 'a.txt': '' });
    const run = runAction(bundle, repo.dir, {
      mode: 'agent',
      goal: 'x',
      attempt: '1',
      'base-sha': 'nope',
      task: '{',
      backend: 'command',
      command: 'true',
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('`goal`: Invalid input: expected number');
    expect(run.stdout).toContain('`base-sha`: must be a commit sha');
    expect(run.stdout).toContain('`task`: not valid JSON');
  });

  it.each(['claude-code', 'anthropic'])(
    'fails the %s backend without a key, saying where it goes',
    (backend) => {
      const repo = makeRepo({ 'a.txt': '' });
      const spec = task('T1', [], { criteria: [{ kind: 'command', run: 'true' }] });
      const run = runAction(bundle, repo.dir, agentInputs(repo.base, spec, { backend }));
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toContain(
        `the ${backend} backend needs ANTHROPIC_API_KEY in the job environment (a repository secret)`,
      );
    },
  );
});

describe('the action, publish job', () => {
  const passing = task('T1', [], {
    title: 'Add greet',
    criteria: [{ kind: 'command', run: 'true' }],
  });
  function agentRun(
    files: Record<string, string>,
    spec: object,
    command: string,
    extra: Record<string, string> = {},
  ) {
    const repo = makeRepo(files);
    const run = runAction(bundle, repo.dir, agentInputs(repo.base, spec, { command, ...extra }));
    return { repo, resultDir: run.outputs['result-dir']!, status: run.outputs.status };
  }

  const publishWith = (base: string, resultDir: string, extra: Record<string, string> = {}) =>
    publishInputs(base, resultDir, { approver: 'octocat', ...extra });

  it('applies the patch on the base, commits with trailers, and pushes the task branch', () => {
    const { repo, resultDir } = agentRun(
      { 'README.md': '# demo\n' },
      passing,
      'echo hi > hello.txt',
    );
    const run = runAction(bundle, freshCheckout(repo.remote), publishWith(repo.base, resultDir));
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ published: 'true', branch: 'gantry/42/T1/1' });
    const pushed = sh(repo.remote, 'rev-parse', 'refs/heads/gantry/42/T1/1').trim();
    expect(pushed).toBe(run.outputs.sha);
    expect(sh(repo.remote, 'rev-parse', `${pushed}^`).trim()).toBe(repo.base);
    const message = sh(repo.remote, 'log', '-1', '--format=%B', pushed);
    expect(message).toMatch(/^gantry\(T1\): Add greet\n/);
    expect(message).toContain(
      'Gantry-Goal: 42\nGantry-Task: T1\nGantry-Attempt: 1\nCo-authored-by: octocat <octocat@users.noreply.github.com>',
    );
    expect(sh(repo.remote, 'show', `${pushed}:hello.txt`)).toBe('hi\n');
  });

  it('refuses a patch that touches .github/workflows, saying why, even when the agent job let it through', () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const resultDir = handMadeResult(
      repo,
      'mkdir -p .github/workflows && echo "on: push" > .github/workflows/evil.yml',
      { goal: 42, taskId: 'T1' },
    );
    const run = runAction(bundle, freshCheckout(repo.remote), publishWith(repo.base, resultDir));
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '.github/workflows/evil.yml: workflow files cannot be changed by a task',
    );
    expect(() =>
      sh(repo.remote, 'rev-parse', '--verify', '--quiet', 'refs/heads/gantry/42/T1/1'),
    ).toThrow();
  });

  it('refuses blocked paths from the config', () => {
    const { repo, resultDir } = agentRun(
      { 'README.md': '# demo\n' },
      passing,
      'mkdir -p secrets && echo x > secrets/key.pem',
    );
    const run = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir, { 'blocked-paths': 'secrets/**, *.lock' }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('secrets/key.pem: blocked by `blockedPaths`');
  });

  it('refuses to publish into a checkout that has changes of its own', () => {
    const { repo, resultDir } = agentRun(
      { 'README.md': '# demo\n' },
      passing,
      'echo hi > hello.txt',
    );
    // The agent worked in a copy; this checkout has a change of its own.
    writeFileSync(join(repo.dir, 'stray.txt'), 'not from the task\n');
    const run = runAction(bundle, repo.dir, publishWith(repo.base, resultDir));
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('the publish job needs a clean checkout');
  });

  it('publishes a partial result only when configured', () => {
    const spec = task('T1', [], { criteria: [{ kind: 'command', run: 'exit 1' }] });
    const { repo, resultDir, status } = agentRun(
      { 'README.md': '# demo\n' },
      spec,
      'echo half >> README.md',
      { 'criteria-iterations': '1' },
    );
    expect(status).toBe('partial');
    const skipped = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir),
    );
    expect(skipped.outputs).toMatchObject({ published: 'false' });
    expect(skipped.outputs.reason).toContain('publish-partial is off');
    const published = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir, { 'publish-partial': 'true' }),
    );
    expect(published.outputs.published).toBe('true');
    expect(sh(repo.remote, 'log', '-1', '--format=%B', 'refs/heads/gantry/42/T1/1')).toContain(
      'Gantry-Status: partial (the criteria did not pass after 1 round)',
    );
  });
});
