import type { RepoContext } from '../planner/planner.js';
import type { GantryConfig } from './config.js';
import type { GitHubPort } from './github/github-port.js';

/** What the planner sees of a repository: its file tree, README, languages and the config's rules. */
export async function gatherRepoContext(
  github: GitHubPort,
  repo: { owner: string; repo: string; defaultBranch: string },
  config: GantryConfig,
): Promise<RepoContext> {
  const [tree, readme, languages] = await Promise.all([
    github.listFiles(repo.defaultBranch),
    github.readReadme().catch(() => undefined),
    github.listLanguages(),
  ]);
  return {
    fullName: `${repo.owner}/${repo.repo}`,
    tree: tree.paths,
    treeTruncated: tree.truncated,
    readme,
    languages,
    rules: config.rules,
    testCommand: config.testCommand,
  };
}
