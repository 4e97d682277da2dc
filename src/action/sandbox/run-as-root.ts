import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether this process can become root without a password (a GitHub-hosted runner can). */
export async function canSudo(): Promise<boolean> {
  return run('sudo', ['-n', 'true']).then(
    () => true,
    () => false,
  );
}

/**
 * Run this same action again as root, through `sudo`, with the same environment (inputs, the
 * runner's file-command paths, the key) and the same PATH (sudo's secure_path would replace it),
 * and resolve with its exit code. Only the root process starts the gateway and holds the key in
 * its memory; the job's own user, which the agent could otherwise share a uid with, never does.
 * `GANTRY_AS_ROOT` keeps a process that is still not root from trying again.
 */
export function rerunAsRoot(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'sudo',
      [
        '-n',
        '-E',
        '--',
        'env',
        `PATH=${process.env.PATH ?? ''}`,
        'GANTRY_AS_ROOT=1',
        process.execPath,
        ...process.argv.slice(1),
      ],
      { stdio: 'inherit' },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
