import type { ChangedEntry } from '../core/path-policy.js';
import { git } from './git.js';

/**
 * Every entry of `tree` that differs from `base` (a commit or a tree): its path (each side of a
 * rename, any character), new mode, size and, for a symlink, its target. This is what the path
 * policy judges, in the agent job and in the publish job alike.
 */
export async function readChange(cwd: string, base: string, tree: string): Promise<ChangedEntry[]> {
  const raw = await git(cwd, ['diff-tree', '-r', '--no-renames', '--raw', '-z', base, tree]);
  const changes = parseRaw(raw);
  if (!changes.length) return [];
  // Sizes from one listing of the new tree (`-` for gitlinks, which have no blob).
  const sizes = new Map<string, number>();
  for (const line of (await git(cwd, ['ls-tree', '-r', '-l', '-z', tree])).split('\0')) {
    const m = /^\d+ \w+ [0-9a-f]+ +(\d+|-)\t(.*)$/s.exec(line);
    if (m && m[1] !== '-') sizes.set(m[2]!, Number(m[1]));
  }
  return Promise.all(
    changes.map(async ({ path, mode, sha }): Promise<ChangedEntry> => {
      const bytes = sizes.get(path);
      const entry: ChangedEntry = { path, mode, ...(bytes !== undefined ? { bytes } : {}) };
      if (mode === '120000') entry.target = await git(cwd, ['cat-file', 'blob', sha]);
      return entry;
    }),
  );
}

/** `git diff --raw -z`: `:oldmode newmode oldsha newsha status` then the path, NUL-separated. */
function parseRaw(raw: string): { path: string; mode: string; sha: string }[] {
  const parts = raw.split('\0');
  const out: { path: string; mode: string; sha: string }[] = [];
  for (let k = 0; k + 1 < parts.length; k += 2) {
    const [, newMode = '', , newSha = ''] = parts[k]!.slice(1).split(' ');
    out.push({ path: parts[k + 1]!, mode: newMode, sha: newSha });
  }
  return out;
}
