import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PUBLISH_RECORD_FILE,
  PublishRecordSchema,
  type PublishRecord,
} from '../../src/core/publish-record.js';
import { TASK_PATCH_FILE, TASK_RESULT_FILE } from '../../src/core/task-result.js';
import { serveGit } from '../../src/standin/git-http.js';
import { buildBundle, parseOutputs, publishInputs, runAction } from '../support/action-runner.js';
import { freshCheckout, makeRepo, sh } from '../support/git-repo.js';
import { handMadeResult } from './hand-made-result.js';

let bundle: string;
beforeAll(() => {
  bundle = buildBundle();
});

const ids = { goal: 42, taskId: 'T1' };
const publishWith = (base: string, resultDir: string, extra: Record<string, string> = {}) =>
  publishInputs(base, resultDir, { 'distinct-id': 'd-42-T1-1', ...extra });
/** The record, read from where the `record` output says it is. */
const recordOf = (run: { outputs: Record<string, string> }): PublishRecord =>
  PublishRecordSchema.parse(JSON.parse(readFileSync(run.outputs.record!, 'utf8')));
/** The agent's result and patch sit next to the record, byte for byte as in `result-dir`. */
const expectAgentFilesCopied = (run: { outputs: Record<string, string> }, resultDir: string) => {
  for (const file of [TASK_RESULT_FILE, TASK_PATCH_FILE])
    expect(readFileSync(join(dirname(run.outputs.record!), file))).toEqual(
      readFileSync(join(resultDir, file)),
    );
};

describe('the publish job records what it did (gantry-published.json)', () => {
  it('published: the pushed sha, its parent (the base), branch, files and distinct id', () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const resultDir = handMadeResult(repo, 'echo hi > hello.txt && echo more >> README.md', ids);
    const out = mkdtempSync(join(tmpdir(), 'gantry-publish-'));
    const run = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir, { 'output-dir': out }),
    );
    expect(run.exitCode, run.stdout).toBe(0);
    const pushed = sh(repo.remote, 'rev-parse', 'refs/heads/gantry/42/T1/1').trim();
    expect(run.outputs.record).toBe(join(out, PUBLISH_RECORD_FILE));
    expect(recordOf(run)).toEqual({
      version: 1,
      goal: 42,
      taskId: 'T1',
      attempt: 1,
      distinctId: 'd-42-T1-1',
      outcome: 'published',
      branch: 'gantry/42/T1/1',
      sha: pushed,
      parent: repo.base,
      files: ['README.md', 'hello.txt'],
    });
    expectAgentFilesCopied(run, resultDir);
  });

  it('refused: the problems, each naming its path, written before the job fails; nothing pushed', () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    // The reproduction of the review: a nested `git init` the agent job let through.
    const resultDir = handMadeResult(
      repo,
      'mkdir -p vendor/lib && cd vendor/lib && git init -q && echo c > c.js && git add . && git -c user.name=a -c user.email=a@example.com commit -qm x',
      ids,
    );
    expect(readFileSync(join(resultDir, 'gantry.patch'), 'utf8')).toContain('Subproject commit');
    const run = runAction(bundle, freshCheckout(repo.remote), publishWith(repo.base, resultDir));
    expect(run.exitCode).toBe(1);
    const r = recordOf(run);
    expect(r).toMatchObject({ outcome: 'refused', distinctId: 'd-42-T1-1' });
    expect(r.outcome === 'refused' && r.problems).toEqual([
      expect.stringMatching(/^vendor\/lib: a nested git repository \(a gitlink\)/),
    ]);
    expect(run.stdout).toContain('vendor/lib: a nested git repository');
    expectAgentFilesCopied(run, resultDir);
    expect(() =>
      sh(repo.remote, 'rev-parse', '--verify', '--quiet', 'refs/heads/gantry/42/T1/1'),
    ).toThrow();
  });

  it('refused with 250 blocked files: the record holds 200 problems, the last counting the rest', () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const resultDir = handMadeResult(
      repo,
      'mkdir -p .github/gen && for k in $(seq 1 250); do echo $k > .github/gen/f$k.txt; done',
      ids,
    );
    const run = runAction(bundle, freshCheckout(repo.remote), publishWith(repo.base, resultDir));
    expect(run.exitCode).toBe(1);
    const r = recordOf(run);
    expect(r.outcome).toBe('refused');
    const problems = r.outcome === 'refused' ? r.problems : [];
    expect(problems).toHaveLength(200);
    expect(problems[0]).toBe(
      'the patch changes 250 files; at most 200 are allowed (the `max-files` input)',
    );
    expect(problems.slice(1, 199)).toEqual(
      Array(198).fill(
        expect.stringMatching(/^\.github\/gen\/f\d+\.txt: blocked by `blockedPaths`/),
      ),
    );
    expect(problems[199]).toBe('… and 52 more');
    // The job's log still names every refused path.
    expect(run.stdout).toContain('.github/gen/f250.txt: blocked');
  });

  it('max-file-bytes: publishes an edit of a file already over it, refuses one grown past it', () => {
    const lock = '{"x": 1}\n'.repeat(200); // 2000 bytes
    const repo = makeRepo({ 'package-lock.json': lock, 'small.json': '{}\n' });
    const limit = { 'max-file-bytes': '1000' };
    const edited = handMadeResult(repo, 'echo "{}" >> package-lock.json', ids);
    const ok = runAction(bundle, freshCheckout(repo.remote), publishWith(repo.base, edited, limit));
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(recordOf(ok)).toMatchObject({ outcome: 'published', files: ['package-lock.json'] });

    sh(repo.dir, 'reset', '--quiet', '--hard', repo.base);
    const grown = handMadeResult(repo, 'head -c 1500 /dev/zero >> small.json', ids);
    const refused = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, grown, limit),
    );
    expect(refused.exitCode).toBe(1);
    expect(recordOf(refused)).toMatchObject({
      outcome: 'refused',
      problems: [
        expect.stringMatching(/^small\.json: 1503 bytes; a file may be at most 1000 bytes/),
      ],
    });
  });

  it('skipped: the reason (a partial result with publish-partial off)', () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const resultDir = handMadeResult(repo, 'echo b > b.txt', ids);
    const result = JSON.parse(readFileSync(join(resultDir, 'gantry-result.json'), 'utf8')) as {
      status: string;
      reason: string;
    };
    writeFileSync(
      join(resultDir, 'gantry-result.json'),
      JSON.stringify({ ...result, status: 'partial', reason: 'the agent reached its turn limit' }),
    );
    const run = runAction(bundle, freshCheckout(repo.remote), publishWith(repo.base, resultDir));
    expect(run.exitCode, run.stdout).toBe(0);
    expect(recordOf(run)).toMatchObject({
      outcome: 'skipped',
      reason:
        'the agent run is partial (the agent reached its turn limit) and publish-partial is off',
    });
    expectAgentFilesCopied(run, resultDir);
  });

  it('a copy of the agent files that fails costs no record: a warning, and the App reads the agent artifact', () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const resultDir = handMadeResult(repo, 'echo b > b.txt', ids);
    const out = mkdtempSync(join(tmpdir(), 'gantry-out-'));
    mkdirSync(join(out, TASK_RESULT_FILE)); // a directory where the copy would go
    const run = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir, { 'output-dir': out }),
    );
    expect(run.exitCode, run.stdout).toBe(0);
    expect(recordOf(run)).toMatchObject({ outcome: 'published', files: ['b.txt'] });
    expect(run.stdout).toContain("Could not copy the agent's result next to the publish record");
  });

  it('an output-dir that is the result-dir keeps the agent files as they are', () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const resultDir = handMadeResult(repo, 'echo b > b.txt', ids);
    const patch = readFileSync(join(resultDir, TASK_PATCH_FILE));
    const run = runAction(
      bundle,
      freshCheckout(repo.remote),
      publishWith(repo.base, resultDir, { 'output-dir': resultDir }),
    );
    expect(run.exitCode, run.stdout).toBe(0);
    expect(recordOf(run)).toMatchObject({ outcome: 'published', files: ['b.txt'] });
    expect(readFileSync(join(resultDir, TASK_PATCH_FILE))).toEqual(patch);
  });
});

/** A git server over HTTP that takes one token, as GitHub's takes a job's GITHUB_TOKEN. */
let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});
async function gitServer(root: string, token: string): Promise<string> {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://git');
    void serveGit(req, url, {
      root,
      token: (raw) => (raw === token ? { login: 'bot', contents: 'write' } : undefined),
      known: () => true,
      failed: () => undefined,
    }).then((a) => {
      res.writeHead(a.status, a.headers);
      res.end(a.body as string | Uint8Array | undefined);
    });
  });
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/git/octo/demo.git`;
}

/** The bundle as a runner starts it, without blocking this process (it serves the git above). */
function runActionAsync(workspace: string, inputs: Record<string, string>) {
  const temp = mkdtempSync(join(tmpdir(), 'gantry-runner-'));
  const output = join(temp, 'output');
  writeFileSync(output, '');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: temp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
    RUNNER_TEMP: temp,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  return new Promise<{ exitCode: number; stdout: string; outputs: Record<string, string> }>(
    (resolve) => {
      const child = spawn(process.execPath, [bundle], { cwd: workspace, env });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) =>
        resolve({
          exitCode: code ?? -1,
          stdout,
          outputs: parseOutputs(readFileSync(output, 'utf8')),
        }),
      );
    },
  );
}

describe('the publish job pushes with github-token, for that one push only', () => {
  it('sends the token as an extraheader of the push; it is masked and never written to .git/config', async () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const root = mkdtempSync(join(tmpdir(), 'gantry-git-root-'));
    sh(root, 'clone', '--quiet', '--bare', repo.remote, join(root, 'octo/demo.git'));
    const url = await gitServer(root, 'ghs_the_job_token');
    const resultDir = handMadeResult(repo, 'echo hi > hello.txt', ids);
    // As `actions/checkout` with `persist-credentials: false` leaves it: an HTTP origin, no
    // credentials. A header a checkout did persist (here a stale token) is overridden.
    const checkout = freshCheckout(repo.remote);
    sh(checkout, 'remote', 'set-url', 'origin', url);
    const origin = new URL(url).origin;
    const stale = Buffer.from('x-access-token:stale').toString('base64');
    sh(checkout, 'config', `http.${origin}/.extraheader`, `AUTHORIZATION: basic ${stale}`);

    // The action's default is no token (so the agent step holds none): an HTTP push says so.
    const without = await runActionAsync(checkout, publishWith(repo.base, resultDir));
    expect(without.exitCode).toBe(1);
    expect(without.stdout).toContain(
      `the remote \`origin\` (${origin}) needs a token to push the task branch, but the \`github-token\` input is empty: give the publish step \`github-token: \${{ github.token }}\``,
    );

    const run = await runActionAsync(
      checkout,
      publishWith(repo.base, resultDir, { 'github-token': 'ghs_the_job_token' }),
    );
    expect(run.exitCode, run.stdout).toBe(0);
    expect(sh(join(root, 'octo/demo.git'), 'rev-parse', 'refs/heads/gantry/42/T1/1').trim()).toBe(
      run.outputs.sha,
    );
    expect(run.stdout).toContain('::add-mask::ghs_the_job_token');
    const basic = Buffer.from('x-access-token:ghs_the_job_token').toString('base64');
    expect(run.stdout).toContain(`::add-mask::${basic}`);
    const config = readFileSync(join(checkout, '.git', 'config'), 'utf8');
    expect(config).not.toContain('ghs_the_job_token');
    expect(config).not.toContain(basic);
  });
});
