import { paged } from './paging.js';
import type { Call, Handler } from './call.js';
import type { Answer } from './answer.js';
import { iso, type StoredIssue } from './store.js';

const notFound: Answer = { status: 404, body: { message: 'Not Found' } };

function issueOf(c: Call): StoredIssue | undefined {
  return c.repo.issues.get(Number(c.params.issue_number));
}

/** Issues, comments, labels, events and permissions: the calls the App makes about goals. */
export const issueHandlers: Record<string, Handler> = {
  'repos/get': (c) => ({ status: 200, body: c.store.repoJson(c.repo) }),

  'issues/get': (c) => {
    const i = issueOf(c);
    return i ? { status: 200, body: c.store.issueJson(c.repo, i) } : notFound;
  },

  'issues/list-for-repo': (c) => {
    const state = c.query.get('state') ?? 'open';
    const labels = c.query.get('labels')?.split(',').filter(Boolean) ?? [];
    const since = c.query.get('since');
    const list = [...c.repo.issues.values()]
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => labels.every((l) => i.labels.includes(l)))
      .filter((i) => !since || i.updatedAt >= Date.parse(since));
    const { items, headers } = paged(c, list);
    return { status: 200, body: items.map((i) => c.store.issueJson(c.repo, i)), headers };
  },

  'issues/update': (c) => {
    const i = issueOf(c);
    if (!i) return notFound;
    const b = c.body ?? {};
    const changes: Record<string, { from: string }> = {};
    if (typeof b.title === 'string' && b.title !== i.title) {
      changes.title = { from: i.title };
      i.events.push({
        event: 'renamed',
        from: i.title,
        to: b.title,
        actor: c.login,
        at: c.store.now(),
      });
      i.title = b.title;
    }
    if (typeof b.body === 'string' && b.body !== i.body) {
      changes.body = { from: i.body };
      i.body = b.body;
      i.lastEditedAt = c.store.now();
    }
    const was = i.state;
    // Closing or reopening takes the triage role, or being the issue's author.
    const role = c.repo.roles.get(c.login) ?? 'none';
    const mayClose =
      c.app !== undefined ||
      i.user === c.login ||
      ['admin', 'maintain', 'write', 'triage'].includes(role);
    if ((b.state === 'open' || b.state === 'closed') && b.state !== i.state && !mayClose)
      return {
        status: 403,
        body: { message: 'Must have triage access to close or reopen an issue.' },
      };
    if (b.state === 'open' || b.state === 'closed') {
      if (b.state === 'closed' && i.state === 'open') i.closedBy = c.login;
      i.state = b.state;
    }
    i.updatedAt = c.store.now();
    if (Object.keys(changes).length)
      c.emit(c.hooks.issues('edited', c.repo, i, c.login, { changes }));
    if (i.state !== was)
      c.emit(c.hooks.issues(i.state === 'closed' ? 'closed' : 'reopened', c.repo, i, c.login));
    return { status: 200, body: c.store.issueJson(c.repo, i) };
  },

  'issues/list-comments': (c) => {
    const i = issueOf(c);
    if (!i) return notFound;
    const { items, headers } = paged(c, i.comments);
    return { status: 200, body: items.map((x) => c.store.commentJson(c.repo, i, x)), headers };
  },

  'issues/create-comment': (c) => {
    const i = issueOf(c);
    if (!i) return notFound;
    const body = String(c.body?.body);
    if (body.length > 65_536) return tooLong();
    const at = c.store.now();
    const comment = {
      id: c.store.nextId(),
      body,
      user: c.login,
      app: c.app,
      createdAt: at,
      updatedAt: at,
    };
    i.comments.push(comment);
    i.updatedAt = at;
    c.emit(c.hooks.comment('created', c.repo, i, comment, c.login));
    return { status: 201, body: c.store.commentJson(c.repo, i, comment) };
  },

  'issues/get-comment': (c) => {
    const found = c.store.comment(c.repo, Number(c.params.comment_id));
    return found
      ? { status: 200, body: c.store.commentJson(c.repo, found.issue, found.comment) }
      : notFound;
  },

  'issues/update-comment': (c) => {
    const found = c.store.comment(c.repo, Number(c.params.comment_id));
    if (!found) return notFound;
    // GitHub: only the author, or someone with write access (apps with it too), edits a comment.
    const role = c.repo.roles.get(c.login) ?? 'none';
    const canWrite = c.app !== undefined || ['admin', 'maintain', 'write'].includes(role);
    if (found.comment.user !== c.login && !canWrite)
      return {
        status: 403,
        body: { message: 'You must have write access to edit comments of others.' },
      };
    const body = String(c.body?.body);
    if (body.length > 65_536) return tooLong();
    const from = found.comment.body;
    found.comment.body = body;
    found.comment.updatedAt = found.issue.updatedAt = c.store.now();
    // GitHub's history starts, at the first edit, with the original version by its author.
    found.comment.edits ??= [{ editor: found.comment.user, at: found.comment.createdAt }];
    found.comment.edits.push({ editor: c.login, at: found.comment.updatedAt });
    c.emit(c.hooks.comment('edited', c.repo, found.issue, found.comment, c.login, from));
    return { status: 200, body: c.store.commentJson(c.repo, found.issue, found.comment) };
  },

  'issues/add-labels': (c) => {
    const i = issueOf(c);
    if (!i) return notFound;
    const names = (Array.isArray(c.body?.labels) ? c.body.labels : []) as string[];
    for (const name of names)
      if (!i.labels.includes(name)) {
        i.labels.push(name);
        i.events.push({ event: 'labeled', label: name, actor: c.login, at: c.store.now() });
        c.emit(c.hooks.issues('labeled', c.repo, i, c.login, { label: name }));
      }
    i.updatedAt = c.store.now();
    return { status: 200, body: i.labels.map((l) => c.store.labelJson(c.repo, l)) };
  },

  'issues/remove-label': (c) => {
    const i = issueOf(c);
    if (!i || !i.labels.includes(c.params.name!))
      return { status: 404, body: { message: 'Label does not exist' } };
    i.labels = i.labels.filter((l) => l !== c.params.name);
    i.events.push({ event: 'unlabeled', label: c.params.name!, actor: c.login, at: c.store.now() });
    c.emit(c.hooks.issues('unlabeled', c.repo, i, c.login, { label: c.params.name! }));
    i.updatedAt = c.store.now();
    return { status: 200, body: i.labels.map((l) => c.store.labelJson(c.repo, l)) };
  },

  'issues/list-events': (c) => {
    const i = issueOf(c);
    if (!i) return notFound;
    const { items, headers } = paged(
      c,
      i.events.map((e, k) => ({ e, k })),
    );
    return {
      status: 200,
      headers,
      body: items.map(({ e, k }) => ({
        id: k + 1,
        node_id: `E_${k + 1}`,
        url: `${c.store.apiRepo(c.repo)}/issues/events/${k + 1}`,
        actor: c.store.userJson(e.actor),
        event: e.event,
        commit_id: null,
        commit_url: null,
        created_at: iso(e.at),
        ...(e.event === 'renamed'
          ? { rename: { from: e.from, to: e.to } }
          : { label: { name: e.label, color: 'ededed' } }),
      })),
    };
  },

  'reactions/create-for-issue-comment': (c) => {
    const found = c.store.comment(c.repo, Number(c.params.comment_id));
    if (!found) return notFound;
    return {
      status: 201,
      body: {
        id: c.store.nextId(),
        node_id: 'REA_1',
        user: c.store.userJson(c.login),
        content: String(c.body?.content),
        created_at: new Date(c.store.now()).toISOString(),
      },
    };
  },

  'repos/get-collaborator-permission-level': (c) => {
    const role = c.repo.roles.get(c.params.username!) ?? 'none';
    const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
    return {
      status: 200,
      body: {
        permission,
        role_name: role,
        user: { ...c.store.userJson(c.params.username!), role_name: role },
      },
    };
  },
};

function tooLong(): Answer {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ code: 'custom', message: 'body is too long (maximum is 65536 characters)' }],
    },
  };
}
