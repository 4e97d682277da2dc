import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeCodeBackend, type AgentSdk } from '../../src/action/agent/claude-code-backend.js';
import { runCommand } from '../../src/action/run-command.js';
import { startContainment } from '../../src/action/sandbox/containment.js';
import { TaskResultSchema } from '../../src/core/task-result.js';
import { buildBundle, runActionAsync } from '../support/action-runner.js';
import { fakeAnthropicApi } from '../support/fake-anthropic-api.js';
import { makeRepo } from '../support/git-repo.js';
import { task } from '../support/plans.js';

const KEY = 'sk-ant-isolation-secret-0451';
const RUNTIME_TOKEN = 'actions-runtime-token-0451';
const RUNNER_SECRET = 'runner-credentials-0451';

/**
 * A prompt-injected agent, and a criterion running code it wrote: each tries every way out the
 * issue names and prints one line per attempt, `GOT <what it read>` or `DENIED`. What it read is
 * printed, so a leak shows up in the task's result, which the test searches for the secrets.
 */
// `@{` stands for the shell's `${` (a template literal would take it).
const HOSTILE = String.raw`#!/bin/bash
who=$1; runner=$2; ws=$3; out=$4; port=$5; suid=$6; allowed=$7
try() { local name=$1; shift; local got; if got=$("$@" 2>/tmp/err); then echo "$who $name: GOT @{got:0:120}"; else echo "$who $name: DENIED $(head -c 60 /tmp/err | tr '\n' ' ')"; fi; }
echo "$who uid=$(id -u) procs=$(ls /proc | grep -cE '^[0-9]+$')"
try environ sh -c 'cat /proc/[0-9]*/environ | tr "\0" "\n" | grep -aE "sk-ant|runtime-token"'
try mem bash -c 'for p in /proc/[0-9]*; do [ "$(stat -c %u $p)" = "$(id -u)" ] && continue; a=$(head -1 $p/maps | cut -d- -f1) && dd if=$p/mem bs=1 count=16 skip=$((16#$a)) status=none; done | grep -a .'
try runner-file cat "$runner/secret.txt"
try github-env sh -c "echo EVIL=1 >> '$runner/github_env'"
try git-dir sh -c "echo /tmp > '$ws/.git/commondir'"
try result-file sh -c "echo '{}' > '$out/gantry-result.json'"
try setuid sh -c "'$suid' -u | grep -x 0"
try su sh -c 'su -c id root </dev/null'
try sudo sh -c 'sudo -n id -u </dev/null | grep -x 0'
try direct curl -fsS -m 5 --noproxy '*' "http://127.0.0.1:$port/"
try outside curl -fsS -m 5 --noproxy '*' "http://203.0.113.7/"
try proxied curl -fsS -m 5 --noproxy '' -x "$HTTPS_PROXY" "http://127.0.0.1:$port/"
try allowed curl -fsS -m 5 --noproxy '' -x "$HTTPS_PROXY" "http://127.0.0.1:$allowed/"
if [ -n "$ANTHROPIC_BASE_URL" ]; then
  for n in 1 2; do try gateway-$n curl -fsS -m 5 "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY" -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' -d '{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}'; done
fi
echo "$who made" > "made-by-$who.txt"
[ "$who" = agent ]
`.replaceAll('@{', '${');

/**
 * Run the bundle as the runner's user `user` (not root), as a self-hosted or hosted runner would:
 * a copy of the bundle it can read, and a runner temp, an outputs file and the repository it
 * owns. `env` adds to or overrides the agent job's inputs (a task with a passing criterion).
 */
function runBundleAs(
  user: string,
  bundle: string,
  repo: { dir: string; base: string },
  env: Record<string, string>,
): { code: number | null; log: string; out: string } {
  const shared = mkdtempSync(join(tmpdir(), 'gantry-as-user-'));
  chmodSync(shared, 0o755);
  const copy = join(shared, 'index.js');
  copyFileSync(bundle, copy);
  chmodSync(copy, 0o644);
  const temp = mkdtempSync(join(shared, 'runner-'));
  const outputs = join(temp, 'output');
  writeFileSync(outputs, '');
  execFileSync('chown', ['-R', `${user}:`, join(repo.dir, '..'), temp]);
  const group = execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim();
  const r = spawnSync(
    'setpriv',
    [`--reuid=${user}`, `--regid=${group}`, '--clear-groups', '--', process.execPath, copy],
    {
      cwd: repo.dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        HOME: temp,
        GITHUB_WORKSPACE: repo.dir,
        GITHUB_OUTPUT: outputs,
        RUNNER_TEMP: temp,
        INPUT_MODE: 'agent',
        INPUT_GOAL: '7',
        INPUT_ATTEMPT: '1',
        'INPUT_BASE-SHA': repo.base,
        INPUT_TASK: JSON.stringify(
          task('T1', [], { criteria: [{ kind: 'command', run: 'true' }] }),
        ),
        INPUT_BACKEND: 'command',
        ...env,
      },
    },
  );
  return { code: r.status, log: `${r.stdout}${r.stderr}`, out: join(temp, 'gantry') };
}

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)(
  'a contained agent and its criteria (needs root, as on a hosted runner)',
  () => {
    let bundle: string;
    const servers: Server[] = [];
    let outsidePort = 0;
    let allowedPort = 0;
    let suid = '';
    beforeAll(async () => {
      bundle = buildBundle();
      const outside = createTcpServer((s) => s.end(`HTTP/1.1 200 OK\r\n\r\n${RUNNER_SECRET}`));
      const allowed = createServer((_req, res) => res.end('allowed-body'));
      for (const s of [outside, allowed] as Server[]) {
        s.listen(0, '127.0.0.1');
        await new Promise((r) => s.once('listening', r));
        servers.push(s);
      }
      outsidePort = (outside.address() as AddressInfo).port;
      allowedPort = (allowed.address() as AddressInfo).port;
      // A setuid-root program the agent can run: without no_new_privs it would run as root.
      // Not under /tmp, which is the agent's own in its mount namespace.
      const dir = mkdtempSync('/home/gantry-suid-test-');
      chmodSync(dir, 0o755);
      suid = join(dir, 'id');
      copyFileSync('/usr/bin/id', suid);
      chmodSync(suid, 0o4755);
    });
    afterAll(() => {
      servers.forEach((s) => s.close());
      if (suid) rmSync(dirname(suid), { recursive: true, force: true });
    });

    it('reads no secret, writes nothing of the runner, reaches only the allowlist, and the result records the refusals', async () => {
      const api = await fakeAnthropicApi([
        {
          json: {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-5-5',
            content: [{ type: 'text', text: 'hi' }],
            stop_reason: 'end_turn',
            usage: { input_tokens: 10, output_tokens: 200_000 },
          },
        },
      ]);
      const repo = makeRepo({ 'hostile.sh': HOSTILE, 'a.txt': 'a\n' });
      const runner = mkdtempSync(join(tmpdir(), 'gantry-runner-'));
      writeFileSync(join(runner, 'secret.txt'), RUNNER_SECRET);
      writeFileSync(join(runner, 'github_env'), '');
      const out = join(runner, 'gantry');
      const args = (who: string) =>
        `bash hostile.sh ${who} ${runner} ${repo.dir} ${out} ${outsidePort} ${suid} ${allowedPort}`;
      const run = await runActionAsync(
        bundle,
        repo.dir,
        {
          mode: 'agent',
          goal: '7',
          attempt: '1',
          'base-sha': repo.base,
          task: JSON.stringify(
            task('T1', [], { criteria: [{ kind: 'command', run: args('criteria') }] }),
          ),
          backend: 'command',
          command: args('agent'),
          'criteria-iterations': '1',
          'max-budget-usd': '0.5',
          'allowed-hosts': `127.0.0.1:${allowedPort}`,
        },
        {
          ANTHROPIC_API_KEY: KEY,
          ANTHROPIC_BASE_URL: api.url,
          ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN,
          RUNNER_TEMP: runner,
          GITHUB_ENV: join(runner, 'github_env'),
        },
      );
      await api.close();
      expect(run.exitCode, run.stdout).toBe(0);
      const text = readFileSync(join(out, 'gantry-result.json'), 'utf8');
      const patch = readFileSync(join(out, 'gantry.patch'), 'utf8');
      for (const secret of [KEY, RUNTIME_TOKEN, RUNNER_SECRET])
        for (const seen of [text, patch, run.stdout]) expect(seen).not.toContain(secret);
      const result = TaskResultSchema.parse(JSON.parse(text));
      const agent = result.summary;
      const criteria = result.criteria.outcomes.map((o) => o.detail).join('\n');
      for (const [who, said] of [
        ['agent', agent],
        ['criteria', criteria],
      ] as const) {
        // It ran as a user of its own, seeing only its own few processes.
        expect(said).toMatch(new RegExp(`${who} uid=(?!0 )\\d+ procs=[1-9]\\b`));
        for (const attempt of [
          'environ',
          'mem',
          'runner-file',
          'github-env',
          'git-dir',
          'result-file',
          'setuid',
          'su',
          'direct',
          'outside',
          'proxied',
        ])
          expect(said, `${who} ${attempt}`).toContain(`${who} ${attempt}: DENIED`);
        // The allowlisted host is reachable: the network is filtered, not just absent.
        expect(said).toContain(`${who} allowed: GOT allowed-body`);
      }
      // The agent's first model call went through the gateway; the second was over the reservation.
      expect(agent).toMatch(/agent gateway-1: GOT .*msg_1/);
      expect(agent).toContain('agent gateway-2: DENIED');
      expect(result.containment).toMatchObject({ isolated: true });
      expect(result.containment!.gatewayRefused).toBeGreaterThanOrEqual(1);
      expect(result.containment!.egressRefused).toContainEqual({
        destination: `127.0.0.1:${outsidePort}`,
        count: 2,
      });
      // The runner's files are as they were, and the checkout's git directory is untouched.
      expect(readFileSync(join(runner, 'github_env'), 'utf8')).toBe('');
      expect(existsSync(join(repo.dir, '.git', 'commondir'))).toBe(false);
      // The work itself is kept: what the agent made is in the change, what the criteria made is not.
      expect(result.filesChanged).toEqual(['made-by-agent.txt']);
      expect(result.usage.costUsd).toBeGreaterThan(0.5);
    });

    it('fails the job, saying what is missing, when it cannot contain the agent; runs it unisolated only when asked', () => {
      // The job as a user without root or sudo, as on a locked-down self-hosted runner.
      const asNobody = (isolation: string) =>
        runBundleAs('nobody', bundle, makeRepo({ 'a.txt': 'a\n' }), {
          INPUT_COMMAND: 'echo unisolated > u.txt',
          INPUT_ISOLATION: isolation,
        });
      const refused = asNobody('contained');
      expect(refused.code).toBe(1);
      expect(refused.log).toMatch(
        /the agent cannot be contained: the job runs as uid \d+ without root/,
      );
      expect(refused.log).toContain('agent.isolation: unisolated');
      expect(existsSync(join(refused.out, 'gantry-result.json'))).toBe(false);
      const unisolated = asNobody('unisolated');
      expect(unisolated.code, unisolated.log).toBe(0);
      expect(unisolated.log).toContain('The agent runs unisolated');
      const result = TaskResultSchema.parse(
        JSON.parse(readFileSync(join(unisolated.out, 'gantry-result.json'), 'utf8')),
      );
      expect(result.containment).toMatchObject({ isolated: false });
      expect(result.filesChanged).toEqual(['u.txt']);
    });

    it.skipIf(!existsSync('/usr/bin/sudo'))(
      'as a hosted runner does: a job user with passwordless sudo runs the action again as root, contained, and gets its files back',
      () => {
        const runnerUser = 'gantry-ci-runner';
        try {
          execFileSync('id', ['-u', runnerUser], { stdio: 'ignore' });
        } catch {
          execFileSync('useradd', ['--system', '--user-group', '--no-create-home', runnerUser]);
        }
        const uid = Number(execFileSync('id', ['-u', runnerUser], { encoding: 'utf8' }).trim());
        const sudoers = `/etc/sudoers.d/${runnerUser}`;
        writeFileSync(sudoers, `${runnerUser} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
        try {
          const repo = makeRepo({ 'a.txt': 'a\n' });
          const { code, log, out } = runBundleAs(runnerUser, bundle, repo, {
            ANTHROPIC_API_KEY: KEY,
            INPUT_TASK: JSON.stringify(
              task('T1', [], { criteria: [{ kind: 'command', run: 'test "$(id -u)" != 0' }] }),
            ),
            INPUT_COMMAND: 'id -u > uid.txt',
          });
          expect(code, log).toBe(0);
          expect(log).toContain('Running the agent job as root (through sudo)');
          const result = TaskResultSchema.parse(
            JSON.parse(readFileSync(join(out, 'gantry-result.json'), 'utf8')),
          );
          expect(result).toMatchObject({ status: 'success', containment: { isolated: true } });
          const patch = readFileSync(join(out, 'gantry.patch'), 'utf8');
          expect(patch).toMatch(/^\+\d+$/m);
          expect(patch).not.toMatch(/^\+0$/m);
          // What root wrote is the job user's again: its output, and its checkout's git directory.
          const rootOwned = execFileSync('find', [out, join(repo.dir, '.git'), '-uid', '0'], {
            encoding: 'utf8',
          });
          expect(rootOwned).toBe('');
          expect(statSync(join(out, 'gantry-result.json')).uid).toBe(uid);
        } finally {
          rmSync(sudoers, { force: true });
        }
      },
    );

    it("runs Claude Code itself as the agent, through the SDK's spawn hook, with the gateway and nothing else", async () => {
      const containment = await startContainment({ allow: [], hide: [] });
      const repo = makeRepo({ 'a.txt': 'a\n' });
      const sandbox = await containment.contain(repo.dir);
      process.env.GANTRY_TEST_SECRET_TOKEN = KEY;
      try {
        // The SDK as the real one uses the hook: it starts Claude Code with the options' env and
        // reads its output; this "Claude Code" prints who and where it is.
        const sdk: AgentSdk = {
          query: ({ options }) =>
            (async function* () {
              const spawnHook = options.spawnClaudeCodeProcess as (o: object) => {
                stdout: NodeJS.ReadableStream;
                on(e: 'close', f: () => void): void;
              };
              const child = spawnHook({
                command: 'sh',
                args: [
                  '-c',
                  'echo "uid=$(id -u) cwd=$PWD procs=$(ls /proc | grep -cE "^[0-9]+$") url=$ANTHROPIC_BASE_URL"; env',
                ],
                cwd: sandbox.tree,
                env: options.env,
                signal: new AbortController().signal,
              });
              let out = '';
              child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
              await new Promise<void>((done) => child.on('close', done));
              yield {
                type: 'result',
                subtype: 'success',
                result: out,
                num_turns: 1,
                total_cost_usd: 0,
              };
            })(),
        };
        const backend = new ClaudeCodeBackend({
          gateway: { url: 'http://127.0.0.1:8080', token: 'gantry-run-token' },
          load: () => Promise.resolve(sdk),
        });
        const outcome = await backend.run({
          prompt: 'do T1',
          cwd: sandbox.tree,
          sandbox,
          model: 'claude-sonnet-5-5',
          maxTurns: 5,
          maxBudgetUsd: 1,
          signal: new AbortController().signal,
          round: 1,
        });
        const agentUid = Number(execFileSync('id', ['-u', 'gantry-agent'], { encoding: 'utf8' }));
        expect(outcome.summary).toMatch(
          new RegExp(
            `^uid=${agentUid} cwd=${sandbox.tree} procs=[1-9] url=http://127\\.0\\.0\\.1:8080$`,
            'm',
          ),
        );
        expect(outcome.summary).not.toContain(KEY);
        expect(outcome.summary).not.toMatch(/^(GITHUB_|RUNNER_|INPUT_)/m);
      } finally {
        delete process.env.GANTRY_TEST_SECRET_TOKEN;
        await sandbox.close();
        await containment.close();
      }
    });

    it("keeps another job's copy out of the agent's sight, though both run as the same user", async () => {
      const containment = await startContainment({ allow: [], hide: [] });
      const mine = await containment.contain(makeRepo({ 'a.txt': 'mine\n' }).dir);
      const theirs = await containment.contain(makeRepo({ 'a.txt': 'theirs\n' }).dir);
      try {
        const r = await runCommand(
          `cat a.txt; test -e ${theirs.tree} && echo THEIRS-VISIBLE; cat ${theirs.tree}/a.txt; echo tampered > ${theirs.tree}/a.txt`,
          { cwd: mine.tree, timeoutMs: 60_000, sandbox: mine },
        );
        expect(r.output).toMatch(/^mine$/m);
        expect(r.output).not.toContain('THEIRS-VISIBLE');
        expect(r.output).not.toContain('theirs');
        expect(r.exitCode).not.toBe(0);
        expect(readFileSync(join(theirs.tree, 'a.txt'), 'utf8')).toBe('theirs\n');
      } finally {
        await mine.close();
        await theirs.close();
        await containment.close();
      }
    });
  },
);
