import type { Effect } from '../core/effects.js';
import type { LandingResult } from '../core/events.js';
import type { GoalContext } from './goal-context.js';
import { GitHubConflict, GitHubRateLimited, gitHubStatus } from './github/github-error.js';
import { checkPublished } from './published-commit.js';
import { TASK_WORKFLOW } from './start-goal.js';

type Land = Extract<Effect, { type: 'land-task' }>;

/**
 * Land exactly the commit the attempt's publish job recorded (`e.sha`), after checking it against
 * GitHub (`checkPublished`): the task branch's name is never trusted for content, since anyone who
 * can push to `gantry/*` could move it after the path policy ran. It is merged into the
 * candidate's own ref `e.into` (made first at the queue's tip `e.onto`), never into the goal
 * branch: the goal branch only moves to candidates CI judged green. The merge is made as the App
 * (so the repository's CI runs on the candidate): 201 a merge commit, 204 nothing to merge, 409 a
 * conflict. A 204 for a commit merged before (this landing ran, then the state write was lost)
 * is the merge it was: the candidate's ref is read back. No recorded commit: the agent changed
 * nothing.
 */
export async function landTask(
  g: GoalContext,
  e: Land,
  blocked: readonly string[],
  retry = false,
): Promise<LandingResult> {
  const s = g.session.state!;
  if (!e.sha) return nothingPublished(g, e);
  if (!retry) {
    const problems = await checkPublished(g, e.sha, e.baseSha, blocked);
    if (problems.length) return { kind: 'refused', problems };
  }
  // A ref of this name already there was made by a pass whose state write was lost: kept when it
  // holds the tip, or exactly this merge on it (GitHub made it, its answer was lost). Anything
  // else (merges of another order of tasks, an earlier goal's candidate whose cleanup failed)
  // is not this candidate: candidate refs are the App's, so it starts again at the tip.
  const onto = e.onto;
  if (onto && !retry)
    await g.github.createBranch(e.into, onto).catch(async (err: unknown) => {
      ignore422(err);
      const head = await branchSha(g, e.into);
      if (head !== onto && !(head && (await isMergeOf(g, head, onto, e.sha!))))
        await g.github.updateBranch(e.into, onto, { force: true });
    });
  try {
    const sha = await g.github.merge({
      base: e.into,
      head: e.sha,
      message: `gantry: land ${e.taskId} (attempt ${e.attempt}) for #${s.issue}\n\nPublished as ${e.sha} on ${e.branch}.`,
    });
    if (sha) return { kind: 'merged', sha };
  } catch (err) {
    if (err instanceof GitHubConflict)
      return { kind: 'conflict', paths: await conflictPaths(g, e.into, e.sha) };
    if (gitHubStatus(err) !== 404) throw err;
    if (retry || (await branchSha(g, e.into))) throw err;
    // The candidate's ref is gone (deleted by hand): make it again where it was.
    await g.github.createBranch(e.into, e.tip);
    return landTask(g, e, blocked, true);
  }
  // 204: the candidate's ref has the commit. If the tip it was built on does not, it was merged
  // there by a landing whose state write was lost: it landed, at the ref's head, and CI judges
  // that. Otherwise the task changed nothing.
  const { aheadBy } = await g.github.compare(e.tip, e.sha, 1);
  const head = aheadBy > 0 ? await branchSha(g, e.into) : undefined;
  if (head) return { kind: 'merged', sha: head };
  // A task lands only when its agent reported success, and success means its criteria passed.
  return { kind: 'nothing-to-merge', criteriaPassed: true };
}

/**
 * Whether `head` is `onto` with `sha` merged and nothing else: it has both, and is ahead of
 * `onto` by the commits `sha` brings plus the merge commit.
 */
async function isMergeOf(g: GoalContext, head: string, onto: string, sha: string) {
  const all = await g.github.compare(onto, head, 1);
  if (all.behindBy !== 0) return false;
  if ((await g.github.compare(sha, head, 1)).behindBy !== 0) return false;
  return all.aheadBy === (await g.github.compare(onto, sha, 1)).aheadBy + 1;
}

const ignore422 = (err: unknown): void => {
  if (gitHubStatus(err) !== 422) throw err;
};

/**
 * The publish job recorded no commit: the agent changed nothing. A task branch that exists all
 * the same was pushed without a record (an older task workflow, or by hand): it is not landed.
 */
async function nothingPublished(g: GoalContext, e: Land): Promise<LandingResult> {
  if (!(await branchSha(g, e.branch))) return { kind: 'nothing-to-merge', criteriaPassed: true };
  return {
    kind: 'refused',
    problems: [
      `\`${e.branch}\` exists, but no publish record names its commit, so Gantry does not know what it holds. Update \`${TASK_WORKFLOW}\` from Gantry's repository (its publish job records the commit it pushes).`,
    ],
  };
}

/**
 * The paths a conflict is likely in (GitHub's 409 names none): changed both by the task's commit
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

/**
 * The goal branch to a new base (the default branch moved while it was red and nothing had
 * landed): forced, but only from the old base. Red candidates never reach the goal branch.
 */
export async function resetGoalRef(
  g: GoalContext,
  e: Extract<Effect, { type: 'reset-goal-ref' }>,
): Promise<void> {
  const head = await branchSha(g, e.branch);
  // Someone (a maintainer fixing it by hand) moved it since: leave their work alone.
  if (head !== e.fromSha) return;
  await g.github.updateBranch(e.branch, e.toSha, { force: true });
}

/** What an advance did: the goal branch moved, with the candidate refs up to `refsUpTo` deleted. */
export interface Advanced {
  refsUpTo?: number | undefined;
}

/**
 * The goal branch forward to a green candidate: a fast-forward, never forced, so the pull request's
 * head only ever moves to commits CI judged green and nobody's work on it is lost. False when it
 * cannot: someone pushed to the goal branch something the candidate does not contain.
 *
 * With candidate refs stale once it is there (`e.dropRefs`), one GraphQL `updateRefs` moves it
 * (from `e.fromSha` exactly, not forced) and deletes them, atomically: the green sha is on the goal
 * branch the moment its candidate's ref goes. When GitHub refuses that batch (the branch moved or
 * is gone, a ref already gone: GraphQL does not say which), the branch moves alone as below, which
 * tells those apart, and the refs are owed on their own (`deleteCandidateRefs`) once it is there.
 */
export async function advanceGoalRef(
  g: GoalContext,
  e: Extract<Effect, { type: 'advance-goal-ref' }>,
): Promise<Advanced | false> {
  if (e.dropRefs) {
    try {
      await g.github.updateBranches([
        { branch: e.branch, sha: e.toSha, from: e.fromSha },
        ...e.dropRefs.refs.map((branch) => ({ branch, sha: null })),
      ]);
      return { refsUpTo: e.dropRefs.upTo };
    } catch (err) {
      // Over the rate limit the move alone would be refused too: the effect stays owed.
      if (err instanceof GitHubRateLimited) throw err;
      g.deps.log?.info(
        { branch: e.branch, refs: e.dropRefs.refs.length },
        `GitHub refused to move ${e.branch} and delete candidate refs in one request (${(err as Error).message}): moving it alone`,
      );
    }
  }
  try {
    await g.github.updateBranch(e.branch, e.toSha, { force: false });
    return {};
  } catch (err) {
    if (gitHubStatus(err) !== 422) throw err;
  }
  const head = await branchSha(g, e.branch);
  // Already there, or at a later candidate of the queue (a pass cut short before its state was
  // written had moved it on; that candidate's verdict is read again, and it moves there anyway).
  if (head === e.toSha || g.session.state?.queue.some((c) => c.sha === head)) return {};
  if (head !== undefined) return false;
  // Gone (deleted by hand): made again at the green sha.
  await g.github.createBranch(e.branch, e.toSha);
  return {};
}

/**
 * Candidate refs that landed or were dropped, when they did not go with the goal branch's advance
 * (`advanceGoalRef`: GitHub refused that batch); one already gone is fine. Tidying never stops a
 * goal: a ref that cannot be deleted (a ruleset, GitHub down) stays, and a later candidate of the
 * same name starts again at its tip anyway (`landTask`). Several refs go in one request
 * (`deleteBranches`, atomic); when GitHub refuses it, one request a ref as before, each failure on
 * its own. Known: REST answers a missing ref's DELETE with 422 "Reference does not exist" (as
 * GitHub documents and the stand-in models). Assumed, not verified against GitHub (its docs say
 * only that one rejected update rejects all): `updateRefs` rejects the batch when a ref to delete
 * is missing, so a batch holding one already gone (a deletion whose state write was lost, a ref
 * deleted by hand) costs one request more, and is deleted one ref at a time.
 */
export async function deleteCandidateRefs(
  g: GoalContext,
  e: Extract<Effect, { type: 'delete-candidate-refs' }>,
): Promise<void> {
  if (e.refs.length > 1) {
    try {
      await g.github.deleteBranches(e.refs);
      return;
    } catch (err) {
      // Over the rate limit, one request a ref would only be refused too: the effect stays owed
      // (the job retries later), rather than give up every ref of the batch for good.
      if (err instanceof GitHubRateLimited) throw err;
    }
  }
  for (const ref of e.refs)
    await g.github.deleteBranch(ref).catch((err: unknown) => {
      const status = gitHubStatus(err);
      if (status !== 404 && status !== 422)
        g.deps.log?.warn(
          { ref, status },
          `Could not delete the candidate ref ${ref}: ${(err as Error).message}`,
        );
    });
}
