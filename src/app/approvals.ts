import type { IgnoredCode } from '../core/step.js';
import { diffPlanComment, parsePlanComment } from '../core/checklist/parse.js';
import { goalIdentity } from '../core/goal.js';
import { inert } from '../core/inert.js';
import { taskDefinitionHash } from '../core/task-definition.js';
import type { GoalContext } from './goal-context.js';
import type { Hint } from './hints.js';
import { permissionOf, refusal } from './permissions.js';
import { startGoal } from './start-goal.js';

type Edited = Extract<Hint, { kind: 'comment-edited' }>;

/** Reasons the core gives that need no answer: the edit changed nothing that matters. */
const QUIET: ReadonlySet<IgnoredCode> = new Set(['no-change']);

/**
 * A person edited the plan comment: what they ticked, unticked or rewrote becomes approvals,
 * if they may approve. Whatever is not taken disappears when the comment is re-rendered from the
 * trusted state; at most one short reply says why.
 */
export async function handleCommentEdit(g: GoalContext, hint: Edited): Promise<void> {
  const { session } = g;
  // Gantry's own edits and other apps' edits carry no intent; the re-render undoes the latter.
  // A late webhook of an edit a sweep already took from the comment's history.
  if (g.deps.memory.tookEditBefore(hint.commentId, hint.to)) return;
  if (
    hint.sender.bot ||
    !session.state ||
    session.pendingNewComment ||
    session.live?.id !== hint.commentId
  )
    return;
  const expect = { repo: `${g.ref.owner}/${g.ref.repo}`, issue: g.ref.issue };
  const before = parsePlanComment(hint.from, g.deps.stateKey, expect);
  const after = parsePlanComment(hint.to, g.deps.stateKey, expect);
  const who = hint.sender.login;
  if (!after.state.ok || !before.state.ok) {
    const why = !after.state.ok ? after.state.error.message : 'the comment had no valid state';
    session.reply(
      `@${who}: the hidden Gantry state in the plan comment was changed (${why}). Gantry restored the comment and did not apply the edit.`,
      { once: true },
    );
    return;
  }
  const [was, now] = [before.state.state, after.state.state];
  // The block must be the one the comment had, of this goal: not an older or another goal's.
  const goal = goalIdentity(session.state);
  if (now.revision !== was.revision || goalIdentity(now) !== goal || goalIdentity(was) !== goal) {
    session.reply(
      `@${who}: the hidden Gantry state in the plan comment was replaced by another version. Gantry restored the comment and did not apply the edit; tick the boxes again.`,
      { once: true },
    );
    return;
  }
  const known = new Set(session.state.plan?.tasks.map((t) => t.id));
  const diff = diffPlanComment(before, after, known);
  if (!diff.approvals.length && !diff.edits.length && !diff.start) return;
  const permission = await permissionOf(g.github, who);
  if (!permission.allowed) {
    session.reply(refusal(who, permission.role, 'approve or change a Gantry plan'), {
      once: true,
    });
    return;
  }
  const planVersion = now.planVersion;
  if (diff.approvals.length || diff.edits.length) {
    // Each tick is for the definition the person saw: the one in the comment they edited.
    const seen = new Map(now.plan?.tasks.map((t) => [t.id, taskDefinitionHash(t)]));
    const r = session.apply({
      type: 'approvals.changed',
      at: g.deps.now(),
      actor: who,
      planVersion,
      changes: diff.approvals.map((c) => ({ ...c, hash: seen.get(c.taskId) })),
      edits: diff.edits,
    });
    if (r.ignored && !QUIET.has(r.ignored.code))
      session.reply(
        `@${who}: ${inert(r.ignored.message, 'line')}; the plan comment shows what Gantry holds.`,
        {
          once: true,
        },
      );
  }
  if (diff.start) {
    const why = await startGoal(g, planVersion, who);
    if (why) session.reply(`@${who}: the goal did not start: ${why}.`, { once: true });
  }
}
