import { handleCommentEdit } from './approvals.js';
import type { GoalContext } from './goal-context.js';
import type { Hint } from './hints.js';

type Actor = { __typename: string; login: string } | null;

interface EditHistory {
  node: {
    editor?: Actor;
    userContentEdits?: { nodes: ({ editor: Actor } | null)[] };
  } | null;
}

const HISTORY = `query($id: ID!) {
  node(id: $id) {
    ... on IssueComment { editor { __typename login } userContentEdits(last: 20) { nodes { editor { __typename login } } } }
  }
}`;

/**
 * The plan comment was edited but its webhook never came (GitHub does not redeliver): the edit
 * is taken now, from the comment's edit history, when a person edited it last and no other person
 * edited it (apps' edits, Gantry's own included, carry no intent). Their permission is checked as
 * for a webhook. When several people edited it, the comment is re-rendered from the trusted state
 * and the reply says to tick again: ticks nobody can vouch for are never approvals.
 */
export async function takeLostEdit(g: GoalContext, hints: readonly Hint[]): Promise<void> {
  const { session } = g;
  const live = session.live;
  if (!live?.nodeId || !session.state || session.pendingNewComment || !session.liveEdited) return;
  if (hints.some((h) => h.kind === 'comment-edited' && h.commentId === live.id)) return;
  const { node } = await g.octokit.graphql<EditHistory>(HISTORY, { id: live.nodeId });
  const last = node?.editor;
  // An app wrote last (Gantry, after an upgrade changed how plans render): nothing to take.
  if (!last || last.__typename !== 'User') return;
  const people = new Set(
    (node.userContentEdits?.nodes ?? []).flatMap((e) =>
      e?.editor?.__typename === 'User' ? [e.editor.login] : [],
    ),
  );
  people.add(last.login);
  if (people.size > 1) {
    session.reply(
      'The plan comment was edited while Gantry could not see who edited it, so those changes were undone. Tick the boxes again.',
      { once: true },
    );
    return;
  }
  const login = last.login;
  await handleCommentEdit(g, {
    kind: 'comment-edited',
    commentId: live.id,
    from: session.rendered()!,
    to: live.body,
    sender: { login, bot: false },
  });
}
