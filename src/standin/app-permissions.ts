import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Access = 'read' | 'write';
/** An installation's permissions, as `app.yml`'s `default_permissions` and GitHub name them. */
export type Permissions = Record<string, Access>;

const APP_YML = new URL('../../app.yml', import.meta.url);

/** The App's permissions from its manifest (`app.yml` at the repository's root). */
export function loadAppPermissions(path: URL | string = APP_YML): Permissions {
  const manifest = parse(readFileSync(path, 'utf8')) as { default_permissions?: Permissions };
  return { ...manifest.default_permissions };
}

/** The webhooks the App subscribes to, from its manifest's `default_events`. */
export function loadAppEvents(path: URL | string = APP_YML): string[] {
  const manifest = parse(readFileSync(path, 'utf8')) as { default_events?: string[] };
  return [...(manifest.default_events ?? [])];
}

/** What an installation token asked for narrows what the installation has, never widens it. */
export function narrowed(has: Permissions, asked: unknown): Permissions {
  if (!asked || typeof asked !== 'object') return { ...has };
  const out: Permissions = {};
  for (const [name, level] of Object.entries(asked as Record<string, unknown>)) {
    const held = has[name];
    if (held && (level === 'read' || level === held)) out[name] = level as Access;
  }
  return out;
}

export function allows(has: Permissions, permission: string, access: Access): boolean {
  const held = has[permission];
  return held === 'write' || (held === 'read' && access === 'read');
}

/**
 * The permission each REST operation the stand-in answers needs, from GitHub's "Permissions
 * required for GitHub Apps" pages. Kept to what the stand-in implements: by the operation's
 * category, with the `repos/` operations listed one by one as they span several permissions. Where
 * GitHub accepts either of two permissions (comments on a pull request: issues or pull requests),
 * the one the App holds for that purpose is named, which is the stricter reading.
 */
const BY_CATEGORY: Record<string, string> = {
  actions: 'actions',
  checks: 'checks',
  git: 'contents',
  issues: 'issues',
  pulls: 'pull_requests',
  reactions: 'issues',
};

const REPOS: Record<string, string> = {
  'repos/get': 'metadata',
  'repos/list-languages': 'metadata',
  'repos/get-collaborator-permission-level': 'metadata',
  'repos/get-combined-status-for-ref': 'statuses',
  'repos/list-commit-statuses-for-ref': 'statuses',
  'repos/get-content': 'contents',
  'repos/get-readme': 'contents',
  'repos/get-branch': 'contents',
  'repos/compare-commits-with-basehead': 'contents',
  'repos/merge': 'contents',
};

/**
 * What `method` on `operationId` needs: a permission and read (GET, HEAD) or write (anything
 * else); `null` when an installation needs none (the App's own endpoints); `undefined` when the
 * map does not know the operation (the caller treats that as a gap in the map, not as allowed).
 */
export function permissionFor(
  operationId: string,
  method: string,
): { permission: string; access: Access } | null | undefined {
  const [category] = operationId.split('/');
  if (category === 'apps') return null;
  const permission = category === 'repos' ? REPOS[operationId] : BY_CATEGORY[category ?? ''];
  if (!permission) return undefined;
  return { permission, access: method === 'GET' || method === 'HEAD' ? 'read' : 'write' };
}
