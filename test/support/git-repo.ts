import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
  });
}

/** A real repository with one commit, pushed to a bare `origin`. */
export function makeRepo(files: Record<string, string>): {
  dir: string;
  remote: string;
  base: string;
  root: string;
} {
  const root = mkdtempSync(join(tmpdir(), 'gantry-test-'));
  const dir = join(root, 'work');
  const remote = join(root, 'remote.git');
  mkdirSync(dir);
  sh(root, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  sh(dir, 'init', '--quiet', '--initial-branch=main');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  sh(dir, 'add', '--all');
  sh(
    dir,
    '-c',
    'user.name=Test',
    '-c',
    'user.email=test@example.com',
    'commit',
    '--quiet',
    '-m',
    'initial',
  );
  sh(dir, 'remote', 'add', 'origin', remote);
  sh(dir, 'push', '--quiet', 'origin', 'main');
  return { dir, remote, base: sh(dir, 'rev-parse', 'HEAD').trim(), root };
}

/** A fresh clone of the remote, as a new job's checkout would be. */
export function freshCheckout(remote: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-checkout-'));
  sh(dir, 'clone', '--quiet', remote, '.');
  return dir;
}
