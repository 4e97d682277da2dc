import type { Comment, CommentHistory, Editor, Issue, IssuesPort } from './github-port.js';
import { call } from './github-error.js';
import { actorOf, labelName, type OctokitRepo } from './octokit-repo.js';

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

const EDITED_AT = `query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) { issue(number: $number) { lastEditedAt } }
}`;

interface EditedAt {
  repository: { issue: { lastEditedAt: string | null } | null } | null;
}

const editor = (a: Actor | undefined): Editor =>
  a ? { type: a.__typename, login: a.login } : null;

interface RestIssue {
  number: number;
  state: string;
  title: string;
  body?: string | null;
  labels: (string | { name?: string })[];
  html_url: string;
  closed_by?: { login: string; type?: string } | null;
  pull_request?: unknown;
}

const issueOf = (i: RestIssue): Issue => ({
  number: i.number,
  open: i.state === 'open',
  title: i.title,
  body: i.body ?? '',
  labels: i.labels.map(labelName),
  htmlUrl: i.html_url,
  closedBy: actorOf(i.closed_by),
  isPullRequest: !!i.pull_request,
});

interface RestComment {
  id: number;
  node_id?: string;
  body?: string;
  html_url: string;
  user?: { login: string; type?: string } | null;
  performed_via_github_app?: { id?: number } | null;
}

const commentOf = (c: RestComment): Comment => ({
  id: c.id,
  nodeId: c.node_id,
  body: c.body ?? '',
  htmlUrl: c.html_url,
  author: actorOf(c.user),
  appId: c.performed_via_github_app?.id,
});

export function octokitIssues({ octokit, owner, repo }: OctokitRepo): IssuesPort {
  const rest = octokit.rest.issues;
  return {
    getIssue: async (issue_number) =>
      issueOf((await call(rest.get({ owner, repo, issue_number }))).data),
    listIssues: async ({ state, labels, since }) =>
      (
        await call(
          octokit.paginate(rest.listForRepo, {
            owner,
            repo,
            state,
            ...(labels !== undefined ? { labels } : {}),
            ...(since !== undefined ? { since } : {}),
            per_page: 100,
          }),
        )
      ).map(issueOf),
    listComments: async (issue_number) =>
      (
        await call(
          octokit.paginate(rest.listComments, { owner, repo, issue_number, per_page: 100 }),
        )
      ).map(commentOf),
    createComment: async (issue_number, body) =>
      commentOf((await call(rest.createComment({ owner, repo, issue_number, body }))).data),
    updateComment: async (comment_id, body) => {
      await call(rest.updateComment({ owner, repo, comment_id, body }));
    },
    approveComment: async (comment_id) => {
      await call(
        octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id, content: '+1' }),
      );
    },
    addLabels: async (issue_number, labels) => {
      await call(rest.addLabels({ owner, repo, issue_number, labels: [...labels] }));
    },
    removeLabel: async (issue_number, name) => {
      await call(rest.removeLabel({ owner, repo, issue_number, name }));
    },
    listIssueEvents: async (issue_number) =>
      (
        await call(octokit.paginate(rest.listEvents, { owner, repo, issue_number, per_page: 100 }))
      ).map((e) => ({
        event: e.event,
        label: 'label' in e ? e.label.name : undefined,
        actor: actorOf(e.actor),
        at: e.created_at,
      })),
    issueEditedAt: async (number) => {
      const answer = await call(
        octokit.graphql<EditedAt>(EDITED_AT, { owner, name: repo, number }),
      );
      return answer.repository?.issue?.lastEditedAt ?? undefined;
    },
    commentHistory: async (id, maxPages) => {
      const edits: CommentHistory['edits'] = [];
      let head: EditHistory['node'] = null;
      let after: string | null = null;
      for (let page = 0; ; page++) {
        if (page === maxPages) return undefined;
        const answer: EditHistory = await call(
          octokit.graphql<EditHistory>(HISTORY, { id, after }),
        );
        const node: EditHistory['node'] = answer.node;
        head ??= node;
        const history = node?.userContentEdits;
        if (!history) return undefined;
        for (const e of history.nodes)
          if (e) edits.push({ editedAt: e.editedAt, editor: editor(e.editor) });
        if (!history.pageInfo.hasNextPage) break;
        after = history.pageInfo.endCursor;
      }
      return {
        author: head?.author?.login,
        createdAt: head?.createdAt,
        editor: editor(head?.editor),
        edits,
      };
    },
  };
}
