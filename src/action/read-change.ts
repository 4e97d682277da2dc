import type { ChangedEntry } from '../core/path-policy.js';
import { git } from './git.js';

/** Modes of entries that have a blob, and so a size. */
const BLOB_MODES = new Set(['100644', '100755', '120000']);

/**
 * Every entry of `tree` that differs from `base` (a commit or a tree): its path (each side of a
 * rename, any character), new mode, size (and size on the base, for the file-size limit, which
 * spares files that were already large) and, for a symlink, its target. This is what the path
 * policy judges, in the agent job and in the publish job alike.
 */
export async function readChange(cwd: string, base: string, tree: string): Promise<ChangedEntry[]> {
  const raw = await git(cwd, ['diff-tree', '-r', '--no-renames', '--raw', '-z', base, tree]);
  const changes = parseRaw(raw);
  if (!changes.length) return [];
  const sizes = await blobSizes(cwd, tree);
  // The base is listed only when a file that existed there is changed (not for added files).
  const modified = changes.some((c) => BLOB_MODES.has(c.oldMode) && c.mode !== '000000');
  const oldSizes = modified ? await blobSizes(cwd, base) : new Map<string, number>();
  return Promise.all(
    changes.map(async ({ path, mode, oldMode, sha }): Promise<ChangedEntry> => {
      const bytes = sizes.get(path);
      const oldBytes = BLOB_MODES.has(oldMode) ? oldSizes.get(path) : undefined;
      const entry: ChangedEntry = {
        path,
        mode,
        ...(bytes !== undefined ? { bytes } : {}),
        ...(oldBytes !== undefined ? { oldBytes } : {}),
      };
      if (mode === '120000') entry.target = await git(cwd, ['cat-file', 'blob', sha]);
      return entry;
    }),
  );
}

/** The size of every blob of `treeish`, from one listing (`-` for gitlinks, which have none). */
async function blobSizes(cwd: string, treeish: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const line of (await git(cwd, ['ls-tree', '-r', '-l', '-z', treeish])).split('\0')) {
    const m = /^\d+ \w+ [0-9a-f]+ +(\d+|-)\t(.*)$/s.exec(line);
    if (m && m[1] !== '-') sizes.set(m[2]!, Number(m[1]));
  }
  return sizes;
}

interface RawChange {
  path: string;
  mode: string;
  oldMode: string;
  sha: string;
}

/** `git diff --raw -z`: `:oldmode newmode oldsha newsha status` then the path, NUL-separated. */
function parseRaw(raw: string): RawChange[] {
  const parts = raw.split('\0');
  const out: RawChange[] = [];
  for (let k = 0; k + 1 < parts.length; k += 2) {
    const [oldMode = '', newMode = '', , newSha = ''] = parts[k]!.slice(1).split(' ');
    out.push({ path: parts[k + 1]!, mode: newMode, oldMode, sha: newSha });
  }
  return out;
}
