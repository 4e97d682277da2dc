import { createHash } from 'node:crypto';

/**
 * A weak ETag over what a GET answers: its body and the headers that are part of the page (a
 * `link` to the next page), so an unchanged answer has the same tag, as on GitHub.
 */
export function etagOf(body: unknown, headers: Record<string, string> = {}): string {
  const hash = createHash('sha256');
  hash.update(
    typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body ?? null),
  );
  hash.update(`\n${headers.link ?? ''}\n${headers['content-type'] ?? ''}`);
  return `W/"${hash.digest('hex').slice(0, 40)}"`;
}

/** Whether `If-None-Match` names this tag (a list, `*`, weak or strong forms alike). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}
