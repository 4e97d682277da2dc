import type { ProbotOctokit } from 'probot';
import type { RepoContext } from '../planner/planner.js';
import type { GantryConfig } from './config.js';

/** What the planner sees of a repository: its file tree, README, languages and the config's rules. */
export async function gatherRepoContext(
  octokit: ProbotOctokit,
  repo: { owner: string; repo: string; defaultBranch: string },
  config: GantryConfig,
): Promise<RepoContext> {
  const { owner, repo: name } = repo;
  const [tree, readme, languages] = await Promise.all([
    octokit.rest.git.getTree({
      owner,
      repo: name,
      tree_sha: repo.defaultBranch,
      recursive: 'true',
    }),
    octokit.rest.repos
      .getReadme({ owner, repo: name, mediaType: { format: 'raw' } })
      .then((r) => String(r.data as unknown))
      .catch(() => undefined),
    octokit.rest.repos.listLanguages({ owner, repo: name }).then((r) => r.data),
  ]);
  return {
    fullName: `${owner}/${name}`,
    tree: tree.data.tree.flatMap((e) => (e.type === 'blob' && e.path ? [e.path] : [])),
    treeTruncated: tree.data.truncated,
    readme,
    languages,
    rules: config.rules,
    testCommand: config.testCommand,
  };
}
