import { handleCommentEdit } from './approvals.js';
import type { GoalContext } from './goal-context.js';
import type { Hint } from './hints.js';

type Actor = { __typename: string; login: string } | null;

interface EditHistory {
  node: {
    author?: { login: string } | null;
    createdAt?: string;
    editor?: Actor;
    userContentEdits?: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: ({ editedAt: string; editor: Actor } | null)[];
    };
  } | null;
}

const HISTORY = `query($id: ID!, $after: String) {
  node(id: $id) {
    ... on IssueComment {
      author { login }
      createdAt
      editor { __typename login }
      userContentEdits(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { editedAt editor { __typename login } }
      }
    }
  }
}`;

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
  const edits: { editedAt: string; editor: Actor }[] = [];
  let head: EditHistory['node'] = null;
  try {
    let after: string | null = null;
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) return 'unknown';
      const answer: EditHistory = await g.octokit.graphql<EditHistory>(HISTORY, {
        id: nodeId,
        after,
      });
      const node: EditHistory['node'] = answer.node;
      head ??= node;
      const history: NonNullable<EditHistory['node']>['userContentEdits'] = node?.userContentEdits;
      if (!history) return 'unknown';
      edits.push(...history.nodes.filter((e) => e !== null));
      if (!history.pageInfo.hasNextPage) break;
      after = history.pageInfo.endCursor;
    }
  } catch {
    return 'unknown';
  }
  const gantry = head?.author?.login;
  const last = head?.editor;
  if (!head || !gantry || !last) return 'unknown';
  if (last.__typename !== 'User') return 'app';
  const sole = edits.every(
    (e) =>
      (e.editor === null && e.editedAt === head.createdAt) ||
      (e.editor?.__typename === 'Bot' && e.editor.login === gantry) ||
      (e.editor?.__typename === 'User' && e.editor.login === last.login),
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
    from: session.rendered()!,
    to: live.body,
    sender: { login: by.person, bot: false },
  });
  g.deps.memory.tookEdit(live.id, live.body);
}
