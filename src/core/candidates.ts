import { defaultGoalSettings, type Candidate, type GoalState } from './goal.js';

/** Candidates of the speculative queue in CI at once. */
export const queueDepthOf = (s: GoalState): number =>
  Math.max(1, s.settings.queueDepth ?? defaultGoalSettings.queueDepth ?? 1);

/** Where the next candidate stacks: the last candidate (once merged), or the last green sha. */
export function tipOf(s: GoalState): string | undefined {
  return s.queue.length ? s.queue.at(-1)!.sha : s.lastGreen;
}

/** The sha the candidate's ref holds before member `j` merges: the last merge before it. */
export function refHeadBefore(c: Candidate, j: number): string {
  for (let k = j - 1; k >= 0; k--) if (c.members[k]!.sha) return c.members[k]!.sha!;
  return c.on;
}
