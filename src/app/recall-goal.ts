import { decodeState } from '../core/checklist/signed-state.js';
import type { AppDeps } from './goal-context.js';

/**
 * Before a goal's reconcile: what the store says Gantry last wrote for it, put in memory when it
 * is newer than what memory holds (after a restart memory holds nothing; another replica may have
 * written since). The trusted state then never goes back to an older signed state pasted into
 * the plan comment, restart or not.
 */
export async function recallGoal(deps: AppDeps, key: string): Promise<void> {
  if (!deps.store) return;
  const written = await deps.store.writtenGoal(key);
  if (!written) return;
  const known = deps.memory.goal(key);
  // Memory is as new or newer: a later plan comment, or the same one at a revision as high.
  if (
    known &&
    (known.commentId > written.commentId ||
      (known.commentId === written.commentId && known.state.revision >= written.revision))
  )
    return;
  const decoded = decodeState(written.body, deps.stateKey);
  if (!decoded.ok) {
    // Written under another state key (rotated): it vouches for nothing now.
    deps.log?.warn(
      { goal: key, problem: decoded.error.message },
      `goal ${key}: the state kept in the store cannot be read (${decoded.error.message}); it is not used`,
    );
    return;
  }
  deps.memory.wroteComment(written.commentId, written.body);
  deps.memory.wroteState(key, written.commentId, decoded.state);
}
