import { paged } from './paging.js';
import type { Call, Handler } from './call.js';
import type { Answer } from './answer.js';
import { iso, type Store, type StoredPull, type StoredRepo } from './store.js';

const notFound: Answer = { status: 404, body: { message: 'Not Found' } };
const full = (c: Call) => `${c.repo.owner}/${c.repo.name}`;
const invalid = (message: string, field: string): Answer => ({
  status: 422,
  body: {
    message: 'Validation Failed',
    errors: [{ resource: 'PullRequest', field, code: 'custom', message }],
    documentation_url: 'https://docs.github.com/rest/pulls/pulls',
  },
});

export function pullJson(
  store: Store,
  repo: StoredRepo,
  p: StoredPull,
  shas: Record<string, string>,
) {
  const api = store.apiRepo(repo);
  const ref = (branch: string) => ({
    label: `${repo.owner}:${branch}`,
    ref: branch,
    sha: shas[branch] ?? '',
    user: store.userJson(repo.owner),
    repo: store.repoJson(repo),
  });
  return {
    id: p.number + 500_000,
    node_id: p.nodeId,
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    draft: p.draft,
    locked: false,
    merged: false,
    user: store.userJson(p.user),
    head: ref(p.head),
    base: ref(p.base),
    requested_reviewers: p.reviewers.map((r) => store.userJson(r)),
    requested_teams: [],
    labels: [],
    assignees: [],
    // What the stand-in does not compute is said to be unknown, never borrowed from an example.
    assignee: null,
    milestone: null,
    merged_by: null,
    merge_commit_sha: null,
    auto_merge: null,
    mergeable: null,
    mergeable_state: 'unknown',
    rebaseable: null,
    url: `${api}/pulls/${p.number}`,
    html_url: `${store.htmlRepo(repo)}/pull/${p.number}`,
    issue_url: `${api}/issues/${p.number}`,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
    closed_at: null,
    merged_at: null,
  };
}

async function answer(c: Call, p: StoredPull, status = 200): Promise<Answer> {
  const shas: Record<string, string> = {};
  for (const b of [p.head, p.base]) shas[b] = (await c.git.branchSha(full(c), b)) ?? '';
  return { status, body: pullJson(c.store, c.repo, p, shas) };
}

/** Pull requests: list (by head), create (draft), get, update, request reviewers. */
export const pullHandlers: Record<string, Handler> = {
  'pulls/list': async (c) => {
    const head = c.query.get('head');
    const state = c.query.get('state') ?? 'open';
    const found = [...c.repo.pulls.values()]
      .filter(
        (p) =>
          (state === 'all' || p.state === state) && (!head || `${c.repo.owner}:${p.head}` === head),
      )
      .reverse();
    const { items, headers } = paged(c, found);
    const body = [];
    for (const p of items) body.push((await answer(c, p)).body);
    return { status: 200, body, headers };
  },

  'pulls/create': async (c) => {
    const b = c.body as {
      title?: string;
      body?: string;
      head: string;
      base: string;
      draft?: boolean;
    };
    const head = b.head.replace(new RegExp(`^${c.repo.owner}:`), '');
    const headSha = await c.git.branchSha(full(c), head);
    const baseSha = await c.git.branchSha(full(c), b.base);
    if (!headSha) return invalid(`head ${head} does not exist`, 'head');
    if (!baseSha) return invalid(`base ${b.base} does not exist`, 'base');
    if ([...c.repo.pulls.values()].some((p) => p.head === head && p.state === 'open'))
      return invalid(`A pull request already exists for ${c.repo.owner}:${head}.`, 'head');
    if (headSha === baseSha || (await c.git.isAncestor(full(c), headSha, baseSha)))
      return invalid(`No commits between ${b.base} and ${head}`, 'base');
    const at = c.store.now();
    const number = c.repo.nextNumber++;
    const pull: StoredPull = {
      number,
      nodeId: `PR_${c.repo.name}_${number}`,
      title: b.title ?? head,
      body: b.body ?? '',
      head,
      base: b.base,
      draft: b.draft ?? false,
      state: 'open',
      user: c.login,
      reviewers: [],
      createdAt: at,
      updatedAt: at,
    };
    c.repo.pulls.set(number, pull);
    return answer(c, pull, 201);
  },

  'pulls/get': (c) => {
    const p = c.repo.pulls.get(Number(c.params.pull_number));
    return p ? answer(c, p) : notFound;
  },

  'pulls/update': (c) => {
    const p = c.repo.pulls.get(Number(c.params.pull_number));
    if (!p) return notFound;
    const b = c.body as Partial<Pick<StoredPull, 'title' | 'body' | 'state' | 'base'>>;
    Object.assign(p, Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)), {
      updatedAt: c.store.now(),
    });
    return answer(c, p);
  },

  'pulls/request-reviewers': (c) => {
    const p = c.repo.pulls.get(Number(c.params.pull_number));
    if (!p) return notFound;
    const wanted = (c.body as { reviewers?: string[] }).reviewers ?? [];
    if (wanted.includes(p.user))
      return invalid('Review cannot be requested from pull request author.', 'reviewers');
    const strangers = wanted.filter((r) => !c.repo.roles.has(r));
    if (strangers.length)
      return invalid(
        `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${full(c)} repository.`,
        'reviewers',
      );
    p.reviewers = [...new Set([...p.reviewers, ...wanted])];
    return answer(c, p, 201);
  },
};
