import picomatch from 'picomatch';

export interface PathPolicy {
  /** Globs a task may never change, beyond the built-in `.github/workflows/**`. */
  blocked: readonly string[];
  maxFiles: number;
  maxPatchBytes: number;
  /** The largest one file may be, in bytes (none when absent). */
  maxFileBytes?: number;
}

/**
 * Paths no token a workflow holds can push (GITHUB_TOKEN has no `workflows` scope), so a task
 * changing them could never land.
 */
export const ALWAYS_BLOCKED = ['.github/workflows/**'] as const;

/**
 * The default `blockedPaths`: everything under `.github/` runs or decides with the repository's
 * secrets before anyone reviews it (composite actions, CODEOWNERS, dependabot settings).
 */
export const DEFAULT_BLOCKED = ['.github/**'] as const;

/** The default `max-file-bytes`: larger files are build output or data, not a task's change. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** Git's modes for the entries the policy looks at. */
export const GITLINK = '160000';
const SYMLINK = '120000';
const DELETED = '000000';

/** One entry of a change, as a tree diff shows it (`mode` is the new mode, 000000 if deleted). */
export interface ChangedEntry {
  path: string;
  mode: string;
  /** The blob's size, for files and symlinks. */
  bytes?: number;
  /** The size on the base, when the path was a file or symlink there (absent: added). */
  oldBytes?: number;
  /** Where a symlink points (its blob's content). */
  target?: string;
}

export type PathVerdict = { ok: true } | { ok: false; problems: string[] };

/** `.git` in any letter case: git itself treats `.GIT` as `.git` on case-insensitive disks. */
const isDotGit = (component: string) => component.toLowerCase() === '.git';

/** Whether a symlink at `path` with `target` points outside the repository. */
export function linkEscapes(path: string, target: string): boolean {
  return resolveLink(path, target) === undefined;
}

/** Where a symlink at `path` points, as a path inside the repository (undefined: outside). */
function resolveLink(path: string, target: string): string[] | undefined {
  if (target.startsWith('/')) return undefined;
  const at = path.split('/').slice(0, -1);
  for (const step of target.split('/')) {
    if (step === '..') {
      if (at.pop() === undefined) return undefined;
    } else if (step && step !== '.') at.push(step);
  }
  return at;
}

/**
 * Decide whether a change may be published: each entry (path, new mode, size, symlink target)
 * and the change as a whole (`patchBytes` long). Every problem names its path and what to do.
 * The agent job (before it reports the change) and the publish job (before it pushes) both ask
 * this, so they refuse the same things.
 */
export function checkChange(
  entries: readonly ChangedEntry[],
  patchBytes: number,
  policy: PathPolicy,
): PathVerdict {
  // The problems of the change as a whole come first: a long list is clipped at its end.
  const problems: string[] = [];
  if (entries.length > policy.maxFiles)
    problems.push(
      `the patch changes ${entries.length} files; at most ${policy.maxFiles} are allowed (the \`max-files\` input)`,
    );
  if (patchBytes > policy.maxPatchBytes)
    problems.push(
      `the patch is ${patchBytes} bytes; at most ${policy.maxPatchBytes} are allowed (the \`max-patch-bytes\` input)`,
    );
  const isBlocked = picomatch([...ALWAYS_BLOCKED, ...policy.blocked], { dot: true });
  for (const e of entries) {
    const p = e.path;
    const parts = p.split('/');
    if (p.startsWith('/') || parts.includes('..'))
      problems.push(`${p}: paths must stay inside the repository`);
    else if (parts.some(isDotGit))
      problems.push(
        `${p}: a path inside a \`.git\` directory; git's own files are never part of a change, so remove it`,
      );
    else if (parts.at(-1)!.toLowerCase() === '.gitmodules')
      problems.push(
        `${p}: submodules cannot be added or changed by a task; add the submodule by hand, or vendor its files`,
      );
    else if (isBlocked(p)) problems.push(blockedProblem(p));
    if (e.mode === DELETED) continue;
    if (e.mode === GITLINK)
      problems.push(
        `${p}: a nested git repository (a gitlink), probably from \`git init\` or \`git clone\` inside the checkout; delete its \`.git\` directory to commit its files, or leave it out`,
      );
    else if (e.mode === SYMLINK && e.target !== undefined) {
      const to = resolveLink(p, e.target);
      if (!to) problems.push(`${p}: a symlink to ${e.target}, outside the repository; remove it`);
      else if (to.some(isDotGit))
        problems.push(`${p}: a symlink to ${e.target}, into \`.git\`; remove it`);
    }
    if (crossesLimit(e, policy.maxFileBytes))
      problems.push(
        `${p}: ${e.bytes} bytes; a file may be at most ${policy.maxFileBytes} bytes (the \`max-file-bytes\` input); leave large or generated files out`,
      );
  }
  return problems.length ? { ok: false, problems } : { ok: true };
}

/**
 * Whether a file is over `max` and was not already: an added file, or one that grew past it. A
 * file already over the limit on the base may still be edited (a large lock file, say).
 */
function crossesLimit(e: ChangedEntry, max: number | undefined): boolean {
  if (max === undefined || (e.bytes ?? 0) <= max) return false;
  return e.oldBytes === undefined || e.oldBytes <= max;
}

function blockedProblem(p: string): string {
  if (p.startsWith('.github/workflows/'))
    return `${p}: workflow files cannot be changed by a task (no workflow token may push them); change them by hand`;
  if (p.startsWith('.github/'))
    return `${p}: blocked by \`blockedPaths\` in .github/gantry.yml (by default all of \`.github/\`: composite actions, CODEOWNERS and dependabot run or decide with the repository's secrets before review); change it by hand, or narrow \`blockedPaths\``;
  return `${p}: blocked by \`blockedPaths\` in .github/gantry.yml; change it by hand, or narrow \`blockedPaths\``;
}

/**
 * The same rules for a change known only by its paths (and the symlinks among them): what a
 * compare of two commits shows.
 */
export function checkPaths(
  paths: readonly string[],
  patchBytes: number,
  policy: PathPolicy,
  links: readonly { path: string; target: string }[] = [],
): PathVerdict {
  const targets = new Map(links.map((l) => [l.path, l.target]));
  return checkChange(
    paths.map((path) => {
      const target = targets.get(path);
      return target === undefined ? { path, mode: '100644' } : { path, mode: SYMLINK, target };
    }),
    patchBytes,
    policy,
  );
}

/** How many refusals, of how many characters each, a result or publish record carries. */
export const REFUSAL_LIMITS: Readonly<{ count: number; chars: number }> = {
  count: 200,
  chars: 1000,
};

/**
 * Refusals clipped to fit a record: each at most `chars` long, and past `count` the first
 * `count - 1` and one line saying how many more were left out.
 */
export function clipProblems(
  problems: readonly string[],
  { count, chars }: { count: number; chars: number } = REFUSAL_LIMITS,
): string[] {
  const clip = (p: string) => (p.length > chars ? `${p.slice(0, chars - 1)}…` : p);
  if (problems.length <= count) return problems.map(clip);
  const kept = problems.slice(0, count - 1).map(clip);
  return [...kept, `… and ${problems.length - kept.length} more`];
}
