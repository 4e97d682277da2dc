import { checkPaths } from '../core/path-policy.js';
import type { GoalContext } from './goal-context.js';
import { GitHubGone } from './github/github-error.js';

/** GitHub's compare lists at most this many changed files: a commit changing more cannot be checked. */
const COMPARE_FILES = 300;
/** The publish job enforced the file count and patch size; landing re-checks the paths only. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * Whether `sha` (the commit the attempt's publish job recorded) may land, as GitHub sees it, not
 * as the record says: exactly one commit on the attempt's base (`base...sha` ahead by 1, behind by
 * 0), changing only paths the repository's policy allows. Each problem says what did not match.
 */
export async function checkPublished(
  g: GoalContext,
  sha: string,
  base: string | undefined,
  blocked: readonly string[],
): Promise<string[]> {
  const short = sha.slice(0, 7);
  if (!base) return [`the attempt's base is unknown, so ${short} cannot be checked against it`];
  let compared;
  try {
    compared = await g.github.compare(base, sha, COMPARE_FILES);
  } catch (e) {
    if (e instanceof GitHubGone) return [`the published commit ${short} is not in the repository`];
    throw e;
  }
  if (compared.aheadBy !== 1 || compared.behindBy !== 0)
    return [
      `the published commit ${short} is not one commit on the attempt's base ${base.slice(0, 7)} (GitHub compares it ${compared.aheadBy} ahead, ${compared.behindBy} behind)`,
    ];
  if (compared.files.length >= COMPARE_FILES)
    return [
      `the published commit ${short} changes ${COMPARE_FILES} or more files: GitHub lists no more, so its paths cannot be checked`,
    ];
  const verdict = checkPaths(compared.files, 0, {
    blocked,
    maxFiles: NO_LIMIT,
    maxPatchBytes: NO_LIMIT,
  });
  return verdict.ok ? [] : verdict.problems;
}
