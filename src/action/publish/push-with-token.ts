import * as core from '@actions/core';
import { git } from '../git.js';

/**
 * Run one git command against `remote` (a push) with `token` as an HTTP basic header for that
 * command only, as actions/checkout sends it (`http.<origin>/.extraheader`). The checkout kept no
 * credentials (`persist-credentials: false`) and the token is never written to `.git/config`:
 * it goes in git's command-scoped config through the environment (`GIT_CONFIG_COUNT`), which,
 * unlike `-c` on the command line, other users cannot read in the process list. A header the
 * checkout may have persisted for the same origin is reset first, so only this one is sent.
 * A remote that is not HTTP (a path, ssh) gets no header and needs no token; an HTTP one without
 * a token is refused before git runs.
 */
export async function pushWithToken(
  workspace: string,
  remote: string,
  token: string,
  args: string[],
): Promise<string> {
  const origin = httpOrigin(await remoteUrl(workspace, remote));
  if (!origin) return git(workspace, args);
  // An HTTP remote (GitHub) takes no push without one; say so rather than show git's prompt error.
  if (!token)
    throw new Error(
      `the remote \`${remote}\` (${origin}) needs a token to push the task branch, but the \`github-token\` input is empty: give the publish step \`github-token: \${{ github.token }}\` (its job needs \`contents: write\`)`,
    );
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  core.setSecret(token);
  core.setSecret(basic);
  const key = `http.${origin}/.extraheader`;
  return git(workspace, args, {
    env: {
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: key,
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: key,
      GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${basic}`,
    },
  });
}

/** The URL `remote` names: a configured remote's URL, or `remote` itself when it is a URL. */
async function remoteUrl(workspace: string, remote: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return remote;
  return (await git(workspace, ['remote', 'get-url', remote])).trim();
}

function httpOrigin(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}
