import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * Remove credentials from the git configs of the agent's copy (`<tree>/.git/config` and those of
 * its submodules under `.git/modules`): the checkout's token must not travel with the copy. The
 * checkout's own config is not touched (the runner's post-job cleanup reads it).
 */
export async function scrubGitConfigs(tree: string): Promise<string[]> {
  const gitDir = join(tree, '.git');
  const info = await lstat(gitDir).catch(() => undefined);
  if (!info?.isDirectory()) return [];
  const removed: string[] = [];
  for (const file of [join(gitDir, 'config'), ...(await moduleConfigs(join(gitDir, 'modules')))])
    removed.push(...(await scrub(file)));
  return removed;
}

async function scrub(file: string): Promise<string[]> {
  const git = (...args: string[]) => run('git', ['config', '--file', file, ...args]);
  const listed = await git('--null', '--get-regexp', '.').catch(() => ({ stdout: '' }));
  const removed: string[] = [];
  for (const entry of listed.stdout.split('\0').filter(Boolean)) {
    const at = entry.indexOf('\n');
    const key = at < 0 ? entry : entry.slice(0, at);
    const value = at < 0 ? '' : entry.slice(at + 1);
    if (CREDENTIAL_KEY.test(key)) {
      if (!removed.includes(key)) {
        await git('--unset-all', key);
        removed.push(key);
      }
    } else if (/^remote\..+\.(url|pushurl)$/i.test(key) && WITH_USERINFO.test(value)) {
      await git('--replace-all', key, value.replace(WITH_USERINFO, '$1'), `^${escape(value)}$`);
      removed.push(`the user and token in ${key}`);
    }
  }
  return removed;
}

async function moduleConfigs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name === 'config')
    .map((e) => join(e.parentPath, e.name));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
