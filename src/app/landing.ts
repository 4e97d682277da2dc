import type { Effect } from '../core/effects.js';
import type { LandingResult } from '../core/events.js';
import type { GoalContext } from './goal-context.js';
import { GitHubConflict, gitHubStatus } from './github/github-error.js';

type Land = Extract<Effect, { type: 'land-task' }>;

/**
 * Merge a task branch into the goal branch as the App (so the repository's CI runs on the
 * result), and say what happened: 201 a merge commit, 204 nothing to merge, 409 a conflict.
 * A 204 for a branch merged before (this landing ran, then the state write was lost) is the
 * merge it was: the goal head is read back. A task branch that does not exist (the agent changed
 * nothing, so none was published) is nothing to merge.
 */
export async function landTask(g: GoalContext, e: Land, retry = false): Promise<LandingResult> {
  const s = g.session.state!;
  try {
    const sha = await g.github.merge({
      base: e.into,
      head: e.branch,
      message: `gantry: land ${e.taskId} (attempt ${e.attempt}) for #${s.issue}`,
    });
    if (sha) return { kind: 'merged', sha };
  } catch (err) {
    if (err instanceof GitHubConflict)
      return { kind: 'conflict', paths: await conflictPaths(g, e.into, e.branch) };
    if (gitHubStatus(err) !== 404) throw err;
    if (!(await branchSha(g, e.branch))) return { kind: 'nothing-to-merge', criteriaPassed: true };
    if (retry || (await branchSha(g, e.into)) || !s.lastGreen) throw err;
    // The goal branch is gone (deleted by hand, or never made after a crash): make it again.
    await g.github.createBranch(e.into, s.lastGreen);
    return landTask(g, e, true);
  }
  // 204: the goal branch has everything the task branch has. If the task's work is not in the
  // last green sha, it is on the goal branch unjudged (merged by a landing whose state write was
  // lost): it landed, at the goal head, and CI judges that. Otherwise the task changed nothing.
  const { aheadBy } = await g.github.compare(s.lastGreen ?? e.into, e.branch, 1);
  const head = aheadBy > 0 ? await branchSha(g, e.into) : undefined;
  if (head) return { kind: 'merged', sha: head };
  // A task lands only when its agent reported success, and success means its criteria passed.
  return { kind: 'nothing-to-merge', criteriaPassed: true };
}

/**
 * The paths a conflict is likely in (GitHub's 409 names none): changed both on the task branch
 * and on the goal branch since they parted.
 */
async function conflictPaths(g: GoalContext, goal: string, task: string): Promise<string[]> {
  const changed = async (base: string, head: string) =>
    new Set((await g.github.compare(base, head, 100)).files);
  const ours = await changed(task, goal);
  return [...(await changed(goal, task))].filter((p) => ours.has(p)).sort();
}

async function branchSha(g: GoalContext, branch: string): Promise<string | undefined> {
  try {
    return await g.github.branchSha(branch);
  } catch (err) {
    if (gitHubStatus(err) === 404) return undefined;
    throw err;
  }
}

/** The goal branch back to the last green sha after red CI: forced, but only from the red sha. */
export async function resetGoalRef(
  g: GoalContext,
  e: Extract<Effect, { type: 'reset-goal-ref' }>,
): Promise<void> {
  const head = await branchSha(g, e.branch);
  // Someone (a maintainer fixing it by hand) moved it since: leave their work alone.
  if (head !== e.fromSha) return;
  await g.github.updateBranch(e.branch, e.toSha, { force: true });
}
