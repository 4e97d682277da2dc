import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Settings that carry or fetch a credential: the `Authorization` header actions/checkout
 * persists (`persist-credentials`, on by default), configs it includes from elsewhere (newer
 * versions keep the header in a file under RUNNER_TEMP), and credential helpers.
 */
const CREDENTIAL_KEY =
  /^(http\.(.+\.)?extraheader|include\.path|includeif\..+\.path|credential\..+)$/i;

/** A URL with a user (and perhaps a password or token) before its host. */
const WITH_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i;

/** The same anywhere in a key's subsection (`url.<base>.insteadOf`, `http.<url>.*`). */
const USERINFO_IN_KEY = /[a-z][a-z0-9+.-]*:\/\/[^/@]+@/i;

/** A proxy (`http.proxy`, `http.<url>.proxy`, `remote.<n>.proxy`) may name its user without a scheme. */
const PROXY_KEY = /^(https?|remote)\.(.+\.)?proxy$/i;

/**
 * Remove credentials from the git configs of the agent's copy: every `config` and
 * `config.worktree` in a `.git` directory anywhere in it (the checkout's, its submodules' under
 * `.git/modules`, a second checkout made inside the workspace): the checkout's token must not
 * travel with the copy. The checkout's own config is not touched (the runner's post-job cleanup
 * reads it).
 */
export async function scrubGitConfigs(tree: string): Promise<string[]> {
  const removed: string[] = [];
  for (const file of await gitConfigs(tree)) removed.push(...(await scrub(file)));
  return removed;
}

async function scrub(file: string): Promise<string[]> {
  const git = (...args: string[]) => run('git', ['config', '--file', file, ...args]);
  // Exit 1 is an empty config; anything else is one Gantry cannot check, so it is not handed on.
  const listed = await git('--null', '--get-regexp', '.').catch((e: { code?: unknown }) => {
    if (e.code === 1) return { stdout: '' };
    throw new Error(
      `the agent's copy of the git config ${file} cannot be read, so it cannot be checked for credentials: ${(e as Error).message}`,
      { cause: e },
    );
  });
  const removed: string[] = [];
  for (const entry of listed.stdout.split('\0').filter(Boolean)) {
    const at = entry.indexOf('\n');
    const key = at < 0 ? entry : entry.slice(0, at);
    const value = at < 0 ? '' : entry.slice(at + 1);
    const credential =
      CREDENTIAL_KEY.test(key) ||
      USERINFO_IN_KEY.test(key) ||
      (PROXY_KEY.test(key) && value.includes('@'));
    if (credential) {
      if (!removed.includes(key)) {
        await git('--unset-all', key);
        removed.push(key);
      }
    } else if (WITH_USERINFO.test(value)) {
      await git('--replace-all', key, value.replace(WITH_USERINFO, '$1'), `^${escape(value)}$`);
      removed.push(`the user and token in ${key}`);
    }
  }
  return removed;
}

/** The config files of every git directory in the tree (links are not followed). */
async function gitConfigs(tree: string): Promise<string[]> {
  const entries = await readdir(tree, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && (e.name === 'config' || e.name === 'config.worktree'))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => relative(tree, path).split(sep).includes('.git'))
    .sort();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
