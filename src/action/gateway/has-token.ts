import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The per-run token, in `x-api-key` or `Authorization: Bearer`, compared in constant time. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const given = [req.headers['x-api-key'], bearer].filter((v) => typeof v === 'string');
  const want = Buffer.from(token);
  return given.some((v) => {
    const got = Buffer.from(v.trim());
    return got.length === want.length && timingSafeEqual(got, want);
  });
}
