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

/** Decide whether a patch touching `paths` (`patchBytes` long) may be published. */
export function checkPaths(
  paths: readonly string[],
  patchBytes: number,
  policy: PathPolicy,
): PathVerdict {
  const problems: string[] = [];
  const globs = [...ALWAYS_BLOCKED, ...policy.blocked];
  const isBlocked = picomatch(globs, { dot: true });
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
  if (paths.length > policy.maxFiles)
    problems.push(
      `the patch changes ${paths.length} files; at most ${policy.maxFiles} are allowed (\`limits.maxFiles\`)`,
    );
  if (patchBytes > policy.maxPatchBytes)
    problems.push(
      `the patch is ${patchBytes} bytes; at most ${policy.maxPatchBytes} are allowed (\`limits.maxPatchBytes\`)`,
    );
  return problems.length ? { ok: false, problems } : { ok: true };
}
