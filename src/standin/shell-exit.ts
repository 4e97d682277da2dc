import type { ChildProcess } from 'node:child_process';

/** How long output still buffered is read after the shell exits, at most. */
const DRAIN_MS = 2000;

/**
 * The exit code of a shell started in a process group of its own (`detached`), as soon as the
 * shell exits: GitHub Actions ends a step then, not when every process it started in the
 * background has closed its output. What the shell left running is killed with its group, and
 * what it wrote is still read; a process that left the group (`setsid`) and keeps the output open
 * is not waited for past a moment.
 */
export function untilShellExits(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (child.pid !== undefined) killGroup(child.pid);
      const done = () => resolve(code ?? 1);
      const timer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        done();
      }, DRAIN_MS);
      // `close` follows `exit` once the output is read to its end.
      child.on('close', () => {
        clearTimeout(timer);
        done();
      });
    });
  });
}

/** Kill a process group (a step's, a CI run's), if it is still there. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
