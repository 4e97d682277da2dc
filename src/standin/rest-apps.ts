import { randomBytes } from 'node:crypto';
import { countedPage } from './paging.js';
import type { Call, Handler } from './call.js';
import type { Answer } from './answer.js';
import { iso } from './store.js';

/** The one installation of the App: on every repository of the stand-in. */
export const INSTALLATION_ID = 1;

const needsJwt: Answer = {
  status: 401,
  body: { message: 'A JSON web token could not be decoded' },
};

function installationJson(c: Call) {
  const owner = [...c.store.repos.values()][0]?.owner ?? 'octo';
  const api = `${c.store.serverUrl}/api/v3`;
  return {
    id: INSTALLATION_ID,
    account: c.store.userJson(owner),
    app_id: c.app!.id,
    app_slug: c.app!.slug,
    target_id: c.store.userJson(owner).id,
    target_type: 'User',
    repository_selection: 'all',
    access_tokens_url: `${api}/app/installations/${INSTALLATION_ID}/access_tokens`,
    repositories_url: `${api}/installation/repositories`,
    html_url: `${c.store.serverUrl}/settings/installations/${INSTALLATION_ID}`,
    permissions: {
      issues: 'write',
      contents: 'write',
      pull_requests: 'write',
      actions: 'write',
      checks: 'read',
      statuses: 'read',
      metadata: 'read',
    },
    events: c.subscribed,
    created_at: iso(0),
    updated_at: iso(0),
    single_file_name: null,
    suspended_at: null,
    suspended_by: null,
  };
}

/**
 * A GitHub App's own endpoints. The App signs a JWT with its private key (verified against its
 * public key) to list its installations and get an installation token; the token then acts as
 * `<slug>[bot]` on the repositories, as on GitHub.
 */
export const appHandlers: Record<string, Handler> = {
  'apps/get-authenticated': (c) => {
    if (!c.token.jwt) return needsJwt;
    return { status: 200, body: c.store.appJson(c.app!.id, c.app!.slug) };
  },

  'apps/list-installations': (c) => {
    if (!c.token.jwt) return needsJwt;
    return { status: 200, body: [installationJson(c)] };
  },

  'apps/get-installation': (c) => {
    if (!c.token.jwt) return needsJwt;
    if (Number(c.params.installation_id) !== INSTALLATION_ID)
      return { status: 404, body: { message: 'Not Found' } };
    return { status: 200, body: installationJson(c) };
  },

  'apps/create-installation-access-token': (c) => {
    if (!c.token.jwt) return needsJwt;
    if (Number(c.params.installation_id) !== INSTALLATION_ID)
      return { status: 404, body: { message: 'Not Found' } };
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAt = Date.now() + 3600_000;
    c.tokens.set(token, { login: `${c.app!.slug}[bot]`, app: c.app, expiresAt });
    return {
      status: 201,
      body: {
        token,
        expires_at: iso(expiresAt),
        permissions: installationJson(c).permissions,
        repository_selection: 'all',
      },
    };
  },

  'apps/list-repos-accessible-to-installation': (c) => {
    if (!c.app || c.token.jwt) return { status: 403, body: { message: 'Forbidden' } };
    return countedPage(c, 'repositories', [...c.store.repos.values()], (r) => c.store.repoJson(r), {
      repository_selection: 'all',
    });
  },
};
