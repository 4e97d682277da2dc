import type { Call } from './call.js';
import type { Answer } from './answer.js';

/**
 * One page of a list, as GitHub serves it: `per_page` (default 30, at most 100) and `page`, with
 * a `Link` header naming the next, last, first and previous pages, which `octokit.paginate`
 * follows. Without the header a client would stop after the first page.
 */
export function paged<T>(
  c: Call,
  all: readonly T[],
): { items: T[]; headers: Record<string, string> } {
  const per = Math.max(1, Math.min(100, Number(c.query.get('per_page') ?? 30) || 30));
  const n = Math.max(1, Number(c.query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(all.length / per));
  const url = (page: number) => {
    const q = new URLSearchParams(c.query);
    q.set('page', String(page));
    q.set('per_page', String(per));
    return `<${c.store.serverUrl}/api/v3${c.path}?${q.toString()}>`;
  };
  const links = [
    ...(n < last ? [`${url(n + 1)}; rel="next"`, `${url(last)}; rel="last"`] : []),
    ...(n > 1 ? [`${url(1)}; rel="first"`, `${url(n - 1)}; rel="prev"`] : []),
  ];
  return {
    items: all.slice((n - 1) * per, n * per),
    headers: links.length ? { link: links.join(', ') } : {},
  };
}

/** A page of a list GitHub wraps with its count: `{ total_count, <key>: [...] }`, `Link` headers. */
export function countedPage<T>(
  c: Call,
  key: string,
  all: readonly T[],
  json: (item: T) => unknown,
  extra: Record<string, unknown> = {},
): Answer {
  const { items, headers } = paged(c, all);
  return {
    status: 200,
    headers,
    body: { total_count: all.length, ...extra, [key]: items.map(json) },
  };
}
