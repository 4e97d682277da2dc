import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/action/run-command.js';
import { startContainment } from '../../src/action/sandbox/containment.js';
import { makeRepo } from '../support/git-repo.js';

/** Host pids whose command line ends with `marker`. */
function withMarker(marker: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(process.getuid?.() !== 0)('a contained command killed at its time limit', () => {
  it('has left nothing of its namespace running once runCommand and stopAll have returned', async () => {
    const marker = `gantry-r3-${randomUUID()}`;
    const containment = await startContainment({ allow: [], hide: [] });
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sandbox = await containment.contain(repo.dir);
    try {
      // Many processes outside the command's group: the kernel needs a while to kill them all.
      const r = await runCommand(
        `for i in $(seq 600); do setsid sh -c 'sleep 1000' ${marker} </dev/null >/dev/null 2>&1 & done; sleep 1000`,
        { cwd: sandbox.tree, timeoutMs: 3000, sandbox },
      );
      expect(r.timedOut).toBe(true);
      await sandbox.stopAll();
      expect(withMarker(marker).length).toBe(0);
    } finally {
      for (const pid of withMarker(marker)) process.kill(pid, 'SIGKILL');
      await sandbox.close();
      await containment.close();
    }
  }, 60_000);
});
