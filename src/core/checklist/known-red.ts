import type { GoalState } from '../goal.js';
import { inert } from '../inert.js';

/**
 * What the plan comment and the pull request say of a goal that went on on a red default branch
 * (`/gantry resume known-red`): which checks were red there, and which still are, so nobody reads
 * "landed after CI judged it" as "every check passed". Undefined for any other goal.
 */
export function knownRedLine(s: GoalState): string | undefined {
  const b = s.baseVerdict;
  if (b?.verdict !== 'known-red') return undefined;
  const checks = (list: string[]) => list.map((c) => inert(c, 'code')).join(', ');
  const was = `CI was red on the base ${b.sha.slice(0, 7)} (${checks(b.failedChecks ?? [])}) and a maintainer chose to go on (\`/gantry resume known-red\`).`;
  const still = b.knownRed ?? [];
  return still.length
    ? `⚠️ ${was} Still red, so not judging landings: ${checks(still)}.`
    : `✅ ${was} They pass now, and judge every landing since.`;
}
