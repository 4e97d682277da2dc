import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskResultSchema } from '../../src/core/task-result.js';
import { taskResult } from '../support/task-result.js';
import { sh } from '../support/git-repo.js';

/**
 * The agent job's artifact made by hand from whatever `command` does in the checkout: what an
 * agent job that let a bad change through (or an artifact swapped in transit) would hand to the
 * publish job, which must judge it on its own.
 */
export function handMadeResult(
  repo: { dir: string; base: string },
  command: string,
  ids: { goal: number; taskId: string },
): string {
  execFileSync('bash', ['-c', command], { cwd: repo.dir });
  sh(repo.dir, 'add', '--all');
  const patch = sh(repo.dir, 'diff', '--cached', '--binary', '--full-index', repo.base);
  const files = sh(repo.dir, 'diff', '--cached', '--name-only', repo.base)
    .split('\n')
    .filter(Boolean);
  const dir = mkdtempSync(join(tmpdir(), 'gantry-hand-made-'));
  writeFileSync(join(dir, 'gantry.patch'), patch);
  const result = TaskResultSchema.parse(
    taskResult(ids.taskId, 1, { goal: ids.goal, filesChanged: files, patchBytes: patch.length }),
  );
  writeFileSync(join(dir, 'gantry-result.json'), JSON.stringify(result));
  return dir;
}
