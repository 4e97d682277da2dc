import type { Access } from './app-permissions.js';
import type { GitHost } from './git-host.js';
import { OverLimit, Typed, type GraphqlCaller } from './graphql-typed.js';
import type { StoredRepo, Store } from './store.js';

const ZERO = '0'.repeat(40);

/** What `updateRefs` needs besides the store: the repositories' git, and the pushes it makes. */
export interface RefSources {
  git: Pick<GitHost, 'branchSha' | 'resolve' | 'isAncestor' | 'updateBranches'>;
  /** The App pushed `sha` to `branch` (a ref made or moved): CI runs and webhooks go, as on REST. */
  pushed(repo: StoredRepo, branch: string, sha: string, before: string): void;
}

interface RefUpdate {
  name: string;
  afterOid: string;
  beforeOid?: string | null;
  force?: boolean | null;
}

/**
 * GitHub's `updateRefs`: refs made, moved and deleted in one mutation, atomically (GitHub: "if one
 * of them is rejected, no other ref will be modified"). Needs `contents: write`, as the REST ref
 * endpoints do. The whole batch is refused (an UNPROCESSABLE error, nothing changed) when a
 * `beforeOid` does not match, a move is not a fast-forward without `force`, a new value is no
 * commit, or a ref to delete does not exist. The last is assumed: GitHub's docs do not say, and
 * REST refuses it (422 "Reference does not exist"). Webhooks are those of the REST ref
 * endpoints: a push for a ref made or moved (its CI runs), none for a deletion. It creates
 * content (the secondary limits count it) only when it makes a ref, as REST's POST does.
 */
export function updateRefs(store: Store, caller: GraphqlCaller, sources: RefSources, need: Need) {
  return async ({
    input,
  }: {
    input: { repositoryId: string; refUpdates: RefUpdate[]; clientMutationId?: string | null };
  }) => {
    need('contents', 'write');
    const repo = [...store.repos.values()].find(
      (r) => store.repoJson(r).node_id === input.repositoryId,
    );
    if (!repo)
      throw new Typed(
        'NOT_FOUND',
        `Could not resolve to a node with the global id of '${input.repositoryId}'`,
      );
    const fullName = `${repo.owner}/${repo.name}`;
    const planned: { branch: string; before?: string; after?: string; forced?: boolean }[] = [];
    for (const u of input.refUpdates) {
      const refuse = (why: string) =>
        new Typed('UNPROCESSABLE', `Could not update ${u.name}: ${why}. No ref was updated.`);
      if (!u.name.startsWith('refs/heads/')) throw refuse('the stand-in keeps branches only');
      const branch = u.name.slice('refs/heads/'.length);
      if (planned.some((p) => p.branch === branch)) throw refuse('it is named twice');
      const current = await sources.git.branchSha(fullName, branch);
      if (u.beforeOid !== undefined && u.beforeOid !== null && u.beforeOid !== (current ?? ZERO))
        throw refuse(`it is at ${current ?? 'nothing'}, not at ${u.beforeOid}`);
      if (u.afterOid === ZERO) {
        if (!current) throw refuse('reference does not exist');
        planned.push({ branch, before: current });
        continue;
      }
      if ((await sources.git.resolve(fullName, u.afterOid)) !== u.afterOid)
        throw refuse(`object ${u.afterOid} does not exist`);
      const fastForward = !current || (await sources.git.isAncestor(fullName, current, u.afterOid));
      if (!fastForward && !u.force) throw refuse('update is not a fast forward');
      planned.push({ branch, before: current, after: u.afterOid, forced: !fastForward });
    }
    if (planned.some((p) => !p.before && p.after)) {
      const limited = caller.creates();
      if (limited) throw new OverLimit(limited);
    }
    if (!(await sources.git.updateBranches(fullName, planned)))
      throw new Typed('UNPROCESSABLE', 'A ref moved while it was updated. No ref was updated.');
    for (const p of planned) if (p.after) sources.pushed(repo, p.branch, p.after, p.before ?? ZERO);
    return { clientMutationId: input.clientMutationId ?? null };
  };
}

type Need = (permission: string, access: Access) => void;
