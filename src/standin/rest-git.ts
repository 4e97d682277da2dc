import { createHash } from 'node:crypto';
import type { Call, Handler } from './call.js';
import type { Answer } from './answer.js';

const notFound: Answer = { status: 404, body: { message: 'Not Found' } };
const refJson = (c: Call, ref: string, sha: string) => ({
  ref: `refs/${ref}`,
  node_id: `REF_${ref}`,
  url: `${c.store.apiRepo(c.repo)}/git/refs/${ref}`,
  object: { sha, type: 'commit', url: `${c.store.apiRepo(c.repo)}/git/commits/${sha}` },
});
const full = (c: Call) => `${c.repo.owner}/${c.repo.name}`;
/** Only branches are kept as refs by the stand-in. */
const branchOf = (ref: string) =>
  ref.startsWith('heads/') ? ref.slice('heads/'.length) : undefined;

/** Refs, merges, compare and file contents, on the real git repositories. */
export const gitHandlers: Record<string, Handler> = {
  'git/get-ref': async (c) => {
    const branch = branchOf(c.params.ref!);
    const sha = branch && (await c.git.branchSha(full(c), branch));
    return sha ? { status: 200, body: refJson(c, c.params.ref!, sha) } : notFound;
  },

  'git/create-ref': async (c) => {
    const ref = String(c.body?.ref);
    const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
    if (!branch) return { status: 422, body: { message: `${ref} is not a valid ref name.` } };
    const sha = String(c.body?.sha);
    if (!(await c.git.resolve(full(c), sha)))
      return { status: 422, body: { message: 'Object does not exist' } };
    if (!(await c.git.createBranch(full(c), branch, sha)))
      return { status: 422, body: { message: 'Reference already exists' } };
    // A new branch is a push too (GitHub's `before` is all zeros): CI runs on its sha, as the
    // goal branch's creation runs the repository's CI on the base.
    c.pushed(branch, sha, '0'.repeat(40));
    return { status: 201, body: refJson(c, `heads/${branch}`, sha) };
  },

  'git/update-ref': async (c) => {
    const branch = branchOf(c.params.ref!);
    if (!branch) return notFound;
    const sha = String(c.body?.sha);
    const before = await c.git.branchSha(full(c), branch);
    const r = await c.git.updateBranch(full(c), branch, sha, c.body?.force === true);
    if (r === 'updated') c.pushed(branch, sha, before!);
    if (r === 'missing') return { status: 422, body: { message: 'Reference does not exist' } };
    if (r === 'no-commit') return { status: 422, body: { message: 'Object does not exist' } };
    if (r === 'not-fast-forward')
      return { status: 422, body: { message: 'Update is not a fast forward' } };
    return { status: 200, body: refJson(c, c.params.ref!, sha) };
  },

  'git/delete-ref': async (c) => {
    const branch = branchOf(c.params.ref!);
    if (!branch || !(await c.git.deleteBranch(full(c), branch)))
      return { status: 422, body: { message: 'Reference does not exist' } };
    return { status: 204 };
  },

  'repos/merge': async (c) => {
    const by = c.app
      ? {
          name: `${c.app.slug}[bot]`,
          email: `${c.app.id}+${c.app.slug}[bot]@users.noreply.github.com`,
        }
      : { name: c.login, email: `${c.login}@users.noreply.github.com` };
    const message =
      typeof c.body?.commit_message === 'string'
        ? c.body.commit_message
        : `Merge ${String(c.body?.head)} into ${String(c.body?.base)}`;
    const before = await c.git.branchSha(full(c), String(c.body?.base));
    const r = await c.git.merge(full(c), String(c.body?.base), String(c.body?.head), message, by);
    if (r.status === 201) c.pushed(String(c.body?.base), r.sha, before!);
    if (r.status === 404)
      return {
        status: 404,
        body: { message: `${r.missing === 'base' ? 'Base' : 'Head'} does not exist` },
      };
    if (r.status === 409) return { status: 409, body: { message: 'Merge conflict' } };
    if (r.status === 204) return { status: 204 };
    return {
      status: 201,
      // GitHub's commit, with the stand-in's sha and message (files left empty: not read).
      body: {
        sha: r.sha,
        url: `${c.store.apiRepo(c.repo)}/commits/${r.sha}`,
        commit: { message },
        files: [],
      },
    };
  },

  'repos/compare-commits-with-basehead': async (c) => {
    const [base, head] = c.params.basehead!.split('...') as [string, string | undefined];
    if (!head) return notFound;
    const r = await c.git.compare(full(c), base, head);
    if (!r) return notFound;
    return {
      status: 200,
      body: {
        url: `${c.store.apiRepo(c.repo)}/compare/${c.params.basehead}`,
        status: r.status,
        ahead_by: r.ahead_by,
        behind_by: r.behind_by,
        total_commits: r.ahead_by,
        files: r.files,
      },
    };
  },

  'git/get-tree': async (c) => {
    const sha = await c.git.resolve(full(c), c.params.tree_sha!);
    if (!sha) return notFound;
    const files = await c.git.listFiles(full(c), sha);
    return {
      status: 200,
      body: {
        sha,
        url: `${c.store.apiRepo(c.repo)}/git/trees/${sha}`,
        truncated: false,
        tree: files.map((f) => ({ path: f.path, mode: '100644', type: 'blob', sha: f.sha })),
      },
    };
  },

  'repos/get-readme': async (c) => {
    const text = await c.git.readFile(full(c), c.repo.defaultBranch, 'README.md');
    return text === undefined ? notFound : fileAnswer(c, 'README.md', text);
  },

  /** Bytes per language, guessed from file extensions. */
  'repos/list-languages': async (c) => {
    const files = await c.git.listFiles(full(c), c.repo.defaultBranch);
    const langs: Record<string, number> = {};
    const byExt: Record<string, string> = {
      ts: 'TypeScript',
      js: 'JavaScript',
      mjs: 'JavaScript',
      py: 'Python',
    };
    for (const f of files) {
      const lang = byExt[f.path.split('.').at(-1) ?? ''];
      if (lang) langs[lang] = (langs[lang] ?? 0) + 1000;
    }
    return { status: 200, body: langs };
  },

  'repos/get-content': async (c) => {
    const ref = c.query.get('ref') ?? c.repo.defaultBranch;
    const text = await c.git.readFile(full(c), ref, c.params.path!);
    return text === undefined ? notFound : fileAnswer(c, c.params.path!, text);
  },
};

/** A file as the contents API answers it: raw text when asked for, else JSON with base64. */
function fileAnswer(c: Call, path: string, text: string): Answer {
  if (c.accept.includes('.raw'))
    return { status: 200, body: text, headers: { 'content-type': 'text/plain; charset=utf-8' } };
  const sha = createHash('sha1')
    .update(`blob ${Buffer.byteLength(text)}\0${text}`)
    .digest('hex');
  const ref = c.query.get('ref') ?? c.repo.defaultBranch;
  const url = `${c.store.apiRepo(c.repo)}/contents/${path}?ref=${ref}`;
  const html = `${c.store.htmlRepo(c.repo)}/blob/${ref}/${path}`;
  const git = `${c.store.apiRepo(c.repo)}/git/blobs/${sha}`;
  return {
    status: 200,
    body: {
      type: 'file',
      encoding: 'base64',
      size: Buffer.byteLength(text),
      name: path.split('/').at(-1),
      path,
      sha,
      url,
      html_url: html,
      git_url: git,
      download_url: `${c.store.serverUrl}/${c.repo.owner}/${c.repo.name}/raw/${ref}/${path}`,
      content: Buffer.from(text).toString('base64'),
      _links: { self: url, git, html },
    },
  };
}
