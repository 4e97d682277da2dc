import type { Answer } from './answer.js';
import { iso, type Store } from './store.js';

type Request = { query?: string; variables?: Record<string, unknown> } | undefined;

const ok = (data: unknown): Answer => ({ status: 200, body: { data } });
const notFound = (id: unknown): Answer => ({
  status: 200,
  body: {
    data: null,
    errors: [
      {
        type: 'NOT_FOUND',
        message: `Could not resolve to a node with the global id of '${String(id)}'`,
      },
    ],
  },
});

/**
 * GitHub's GraphQL endpoint, for what REST lacks: marking a draft pull request ready for review,
 * a comment's edit history (who edited it, when) and when an issue's body was last edited. Any
 * other query is answered with GraphQL's error shape and recorded as one the stand-in does not
 * answer.
 */
export function graphql(store: Store, request: Request, unhandled: (why: string) => void): Answer {
  const query = request?.query ?? '';
  const id = Object.values(request?.variables ?? {})[0];
  if (/markPullRequestReadyForReview/.test(query)) {
    for (const repo of store.repos.values())
      for (const p of repo.pulls.values())
        if (p.nodeId === id) {
          p.draft = false;
          p.updatedAt = store.now();
          return ok({ markPullRequestReadyForReview: { pullRequest: { isDraft: false } } });
        }
    return notFound(id);
  }
  if (/userContentEdits/.test(query)) {
    for (const repo of store.repos.values())
      for (const issue of repo.issues.values())
        for (const c of issue.comments)
          if (`IC_${c.id}` === id) {
            // Newest first, as GitHub's edit history shows them; `after` is an index cursor.
            const edits = [...(c.edits ?? [])].reverse();
            const first = Number(/userContentEdits\(first: (\d+)/.exec(query)?.[1] ?? 100);
            const after = Number(request?.variables?.after ?? -1);
            const page = edits.slice(after + 1, after + 1 + first);
            const end = after + page.length;
            return ok({
              node: {
                author: actor(c.app ? `${c.app.slug}[bot]` : c.user),
                createdAt: iso(c.createdAt),
                editor: actor(c.edits?.at(-1)?.editor),
                userContentEdits: {
                  totalCount: edits.length,
                  pageInfo: {
                    hasNextPage: end + 1 < edits.length,
                    endCursor: page.length ? String(end) : null,
                  },
                  nodes: page.map((e) => ({ editedAt: iso(e.at), editor: actor(e.editor) })),
                },
              },
            });
          }
    return notFound(id);
  }
  if (/lastEditedAt/.test(query)) {
    const v = request?.variables ?? {};
    const repo = store.repo(String(v.owner), String(v.name));
    if (!repo) return notFound(`${String(v.owner)}/${String(v.name)}`);
    const issue = repo.issues.get(Number(v.number));
    const lastEditedAt = issue?.lastEditedAt;
    return ok({
      repository: {
        issue: issue
          ? { lastEditedAt: lastEditedAt === undefined ? null : iso(lastEditedAt) }
          : null,
      },
    });
  }
  unhandled(`GraphQL query the stand-in does not answer: ${query.slice(0, 200)}`);
  return { status: 200, body: { errors: [{ message: 'the stand-in does not answer this' }] } };
}

/** GraphQL names a user by login, and a bot by its login without `[bot]`. */
function actor(login: string | undefined) {
  if (login === undefined) return null;
  return login.endsWith('[bot]')
    ? { __typename: 'Bot', login: login.slice(0, -'[bot]'.length) }
    : { __typename: 'User', login };
}
