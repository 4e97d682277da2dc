import { verify } from 'node:crypto';

/** Who a token is, and what it may do. */
export interface Token {
  login: string;
  app?: { id: number; slug: string } | undefined;
  /** A JWT the App signed: good for the App's own endpoints only. */
  jwt?: boolean;
  /** Installation tokens expire an hour after they are made, as on GitHub. */
  expiresAt?: number;
  /** A workflow job's `GITHUB_TOKEN`: what its `permissions: contents` allows for git. */
  job?: boolean;
  contents?: 'none' | 'read' | 'write';
  /** The one repository a job token is for. */
  repo?: string;
  /** An installation token's permissions: every request it makes is checked against them. */
  permissions?: Record<string, 'read' | 'write'>;
  /** The installation an installation token is for (its secondary rate limits). */
  installation?: number;
}

/**
 * The App's JWT (RS256, signed with its private key), as GitHub checks it: a token good for the
 * App's own endpoints, or undefined.
 */
export function appJwtToken(
  raw: string,
  apps: readonly { id: number; slug: string; publicKey: string }[] | undefined,
): Token | undefined {
  const [head, body, signature] = raw.split('.');
  if (!head || !body || !signature) return undefined;
  let claims: { iss?: unknown; exp?: unknown; iat?: unknown };
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return undefined;
  }
  const app = apps?.find((a) => String(a.id) === String(claims.iss));
  const now = Date.now() / 1000;
  // GitHub: issued at most a minute ahead (clock drift), expiring at most 10 minutes later.
  const { exp, iat } = claims;
  if (!app || typeof exp !== 'number' || typeof iat !== 'number') return undefined;
  if (exp < now || iat > now + 60 || exp > now + 600 + 60) return undefined;
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${head}.${body}`),
    app.publicKey,
    Buffer.from(signature, 'base64url'),
  );
  return signed ? { login: app.slug, app: { id: app.id, slug: app.slug }, jwt: true } : undefined;
}
