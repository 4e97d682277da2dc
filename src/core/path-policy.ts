import picomatch from 'picomatch';

export interface PathPolicy {
  /** Globs a task may never change, beyond the built-in `.github/workflows/**`. */
  blocked: readonly string[];
  maxFiles: number;
  maxPatchBytes: number;
}

/**
 * Paths no token a workflow holds can push (GITHUB_TOKEN has no `workflows` scope), so a task
 * changing them could never land.
 */
export const ALWAYS_BLOCKED = ['.github/workflows/**'] as const;

export type PathVerdict = { ok: true } | { ok: false; problems: string[] };

/** Whether a symlink at `path` with `target` points outside the repository. */
export function linkEscapes(path: string, target: string): boolean {
  if (target.startsWith('/')) return true;
  let depth = path.split('/').length - 1;
  for (const step of target.split('/')) {
    if (step === '..') depth--;
    else if (step && step !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * Decide whether a patch changing `paths` (`patchBytes` long, with `links` symlinks among its
 * new files) may be published. Every problem is named with its path.
 */
export function checkPaths(
  paths: readonly string[],
  patchBytes: number,
  policy: PathPolicy,
  links: readonly { path: string; target: string }[] = [],
): PathVerdict {
  const problems: string[] = [];
  const isBlocked = picomatch([...ALWAYS_BLOCKED, ...policy.blocked], { dot: true });
  for (const p of paths) {
    if (p.startsWith('/') || p.split('/').includes('..'))
      problems.push(`${p}: paths must stay inside the repository`);
    else if (isBlocked(p))
      problems.push(
        p.startsWith('.github/workflows/')
          ? `${p}: workflow files cannot be changed by a task (no workflow token may push them); change them by hand`
          : `${p}: blocked by \`blockedPaths\` in .github/gantry.yml`,
      );
  }
  for (const link of links)
    if (linkEscapes(link.path, link.target))
      problems.push(`${link.path}: a symlink to ${link.target}, outside the repository`);
  if (paths.length > policy.maxFiles)
    problems.push(
      `the patch changes ${paths.length} files; at most ${policy.maxFiles} are allowed (the \`max-files\` input)`,
    );
  if (patchBytes > policy.maxPatchBytes)
    problems.push(
      `the patch is ${patchBytes} bytes; at most ${policy.maxPatchBytes} are allowed (the \`max-patch-bytes\` input)`,
    );
  return problems.length ? { ok: false, problems } : { ok: true };
}
