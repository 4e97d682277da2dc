import type { BranchUpdate, GitPort } from './github-port.js';
import { call } from './github-error.js';
import type { OctokitRepo } from './octokit-repo.js';

/** What `updateRefs` sets a ref to in order to delete it. */
const NO_COMMIT = '0'.repeat(40);

const UPDATE_REFS = `mutation($input: UpdateRefsInput!) {
  updateRefs(input: $input) { clientMutationId }
}`;

export function octokitGit({ octokit, owner, repo, repositoryId }: OctokitRepo): GitPort {
  // `force` is left out: GraphQL's RefUpdate defaults it to false, so a move that is not a
  // fast-forward is refused (and with it the whole batch).
  const updateRefs = async (updates: readonly BranchUpdate[]) => {
    const refUpdates = updates.map(({ branch, sha, from }) => ({
      name: `refs/heads/${branch}`,
      afterOid: sha ?? NO_COMMIT,
      ...(from !== undefined ? { beforeOid: from } : {}),
    }));
    const input = { repositoryId: await repositoryId.get(), refUpdates };
    await call(octokit.graphql(UPDATE_REFS, { input }));
  };
  return {
    branchSha: async (branch) =>
      (await call(octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }))).data.object
        .sha,
    createBranch: async (branch, sha) => {
      await call(octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha }));
    },
    updateBranch: async (branch, sha, { force }) => {
      await call(octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force }));
    },
    deleteBranch: async (branch) => {
      await call(octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` }));
    },
    deleteBranches: (branches) => updateRefs(branches.map((branch) => ({ branch, sha: null }))),
    updateBranches: (updates) => updateRefs(updates),
    merge: async ({ base, head, message }) => {
      const { status, data } = await call(
        octokit.rest.repos.merge({ owner, repo, base, head, commit_message: message }),
      );
      // 204: nothing to merge, and no body.
      return (status as number) === 201 ? data.sha : undefined;
    },
    compare: async (base, head, maxFiles) => {
      const { data } = await call(
        octokit.rest.repos.compareCommitsWithBasehead({
          owner,
          repo,
          basehead: `${base}...${head}`,
          per_page: maxFiles,
        }),
      );
      return {
        aheadBy: data.ahead_by,
        behindBy: data.behind_by,
        // A rename changes two paths: both are judged (a file moved out of a blocked folder too).
        files: (data.files ?? []).flatMap((f) =>
          f.previous_filename ? [f.previous_filename, f.filename] : [f.filename],
        ),
      };
    },
  };
}
