import type { ReposPort } from './github-port.js';
import { asGitHubError, call, GitHubGone } from './github-error.js';
import type { OctokitRepo } from './octokit-repo.js';

export function octokitRepos({ octokit, owner, repo }: OctokitRepo): ReposPort {
  return {
    readConfig: async (path) => {
      try {
        // Probot's reader: `_extends`, and the organization's `.github` repository.
        const { config, files } = await octokit.config.get({ owner, repo, path });
        return files.some((f) => f.config !== null) ? config : undefined;
      } catch (e) {
        // A file that is not YAML has no status: the caller reports it as a config problem.
        throw asGitHubError(e);
      }
    },
    permission: async (username) => {
      const { data } = await call(
        octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username }),
      );
      return { permission: data.permission, roleName: data.role_name };
    },
    hasFile: async (path, ref) => {
      try {
        await call(octokit.rest.repos.getContent({ owner, repo, path, ref }));
        return true;
      } catch (e) {
        if (e instanceof GitHubGone && e.status === 404) return false;
        throw e;
      }
    },
    listFiles: async (ref) => {
      const { data } = await call(
        octokit.rest.git.getTree({ owner, repo, tree_sha: ref, recursive: 'true' }),
      );
      return {
        paths: data.tree.flatMap((e) => (e.type === 'blob' && e.path ? [e.path] : [])),
        truncated: data.truncated,
      };
    },
    readReadme: async () => {
      const r = await call(
        octokit.rest.repos.getReadme({ owner, repo, mediaType: { format: 'raw' } }),
      );
      const raw: unknown = r.data; // with the raw media type, the text itself
      return String(raw);
    },
    listLanguages: async () => (await call(octokit.rest.repos.listLanguages({ owner, repo }))).data,
  };
}
