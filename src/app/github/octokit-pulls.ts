import type { PullRequest, PullsPort } from './github-port.js';
import { call } from './github-error.js';
import type { OctokitRepo } from './octokit-repo.js';

const pullOf = (p: { number: number; node_id: string; draft?: boolean }): PullRequest => ({
  number: p.number,
  nodeId: p.node_id,
  draft: p.draft ?? false,
});

export function octokitPulls({ octokit, owner, repo }: OctokitRepo): PullsPort {
  const rest = octokit.rest.pulls;
  return {
    findOpenPull: async (head) => {
      const { data } = await call(
        rest.list({ owner, repo, head: `${owner}:${head}`, state: 'open', per_page: 1 }),
      );
      return data[0] ? pullOf(data[0]) : undefined;
    },
    createPull: async (pull) => pullOf((await call(rest.create({ owner, repo, ...pull }))).data),
    updatePullBody: async (pull_number, body) =>
      pullOf((await call(rest.update({ owner, repo, pull_number, body }))).data),
    markPullReady: async (pull) => {
      // GitHub has no REST call for this, only GraphQL.
      await call(
        octokit.graphql(
          `mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { isDraft } } }`,
          { id: pull.nodeId },
        ),
      );
    },
    requestReviewers: async (pull_number, reviewers) => {
      await call(rest.requestReviewers({ owner, repo, pull_number, reviewers: [...reviewers] }));
    },
  };
}
