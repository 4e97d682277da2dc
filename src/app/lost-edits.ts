import { handleCommentEdit } from './approvals.js';
import type { GoalContext } from './goal-context.js';
import type { CommentHistory } from './github/github-port.js';
import type { Hint } from './hints.js';

/** Pages of edit history read at most (a plan comment is edited a few times per task). */
const MAX_PAGES = 10;

export const UNDONE_REPLY =
  'The plan comment was edited while Gantry could not see the edit happen, and its history does not say whose every change was, so the changes were undone. Tick the boxes again.';

/**
 * Who changed the plan comment since Gantry wrote it, from its edit history: a person when one
 * person made every edit that is not Gantry's own (Gantry is the comment's author) and edited it
 * last; `app` when an app (Gantry, or another app) edited it last; `unknown` otherwise (several
 * people, another app's edits among a person's, a deleted account, history too long to read, or
 * GitHub not answering). The order of the history is not documented, so it is not relied on; an
 * entry without an editor counts only when it is the original version (made when the comment was).
 */
async function editedBy(
  g: GoalContext,
  nodeId: string,
): Promise<{ person: string } | 'app' | 'unknown'> {
  let history: CommentHistory | undefined;
  try {
    history = await g.github.commentHistory(nodeId, MAX_PAGES);
  } catch {
    return 'unknown';
  }
  const gantry = history?.author;
  const last = history?.editor;
  if (!history || !gantry || !last) return 'unknown';
  if (last.type !== 'User') return 'app';
  const { createdAt, edits } = history;
  const sole = edits.every(
    (e) =>
      (e.editor === null && e.editedAt === createdAt) ||
      (e.editor?.type === 'Bot' && e.editor.login === gantry) ||
      (e.editor?.type === 'User' && e.editor.login === last.login),
  );
  return sole ? { person: last.login } : 'unknown';
}

/**
 * The plan comment was edited but no webhook told Gantry (GitHub does not redeliver, or it is
 * late): the edit is taken from the comment's edit history when one person made it, and their
 * permission is checked as for a webhook. Otherwise the comment is re-rendered from the trusted
 * state (at flush) and, unless an app made the edit, a reply says to tick again: ticks nobody can
 * vouch for are never approvals. A late webhook of a taken edit then changes nothing.
 */
export async function takeLostEdit(g: GoalContext, hints: readonly Hint[]): Promise<void> {
  const { session } = g;
  const live = session.live;
  if (!live?.nodeId || !session.state || session.pendingNewComment || !session.liveEdited) return;
  // A person's edit of this comment is being handled from its webhook.
  if (hints.some((h) => h.kind === 'comment-edited' && h.commentId === live.id && !h.sender.bot))
    return;
  const by = await editedBy(g, live.nodeId);
  if (by === 'app') return;
  if (by === 'unknown') {
    session.reply(UNDONE_REPLY);
    return;
  }
  await handleCommentEdit(g, {
    kind: 'comment-edited',
    commentId: live.id,
    // What the person edited: the comment as Gantry last sent it (a newer render may be waiting
    // for its flush, and its revision is not the one the person's comment carries).
    from: g.deps.memory.sentPlan(live.id)?.body ?? session.rendered()!,
    to: live.body,
    sender: { login: by.person, bot: false },
  });
  g.deps.memory.tookEdit(live.id, live.body);
}
