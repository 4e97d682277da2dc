import { ProbotOctokit } from 'probot';

type Client = Pick<ProbotOctokit, 'hook' | 'request'>;
type Response = Awaited<ReturnType<ProbotOctokit['request']>>;

/** Responses kept for revalidation, newest last; the oldest go first beyond the bound. */
const MAX_ENTRIES = 2000;

/**
 * Conditional GETs: a response that came with an ETag is kept, and the next GET of the same URL
 * sends `If-None-Match`. GitHub answers 304 when nothing changed, which costs no rate limit, and
 * the kept response is returned. Sweeps read the same issues, comments and config again and
 * again, so most of their reads become free. One cache for every installation's client: a URL
 * names one repository, which one installation reaches.
 */
export function conditionalRequests(
  octokit: Client,
  cache: Map<string, { etag: string; response: Response }> = shared,
): void {
  octokit.hook.wrap('request', async (request, options) => {
    if (options.method !== 'GET') return request(options);
    const parsed = octokit.request.endpoint.parse(options);
    const key = `${parsed.url} ${String(parsed.headers.accept ?? '')}`;
    const kept = cache.get(key);
    // Set on the options themselves: later hooks (authentication) work from this object.
    if (kept) options.headers['if-none-match'] = kept.etag;
    try {
      const response = await request(options);
      const etag = response.headers.etag;
      cache.delete(key);
      // JSON only (artifacts are large and read once); a copy, as callers may change theirs.
      if (etag && !(response.data instanceof ArrayBuffer)) {
        cache.set(key, { etag, response: copy(response) });
        if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      }
      return response;
    } catch (e) {
      if ((e as { status?: number }).status === 304 && kept) {
        // Still current: keep it as the most recent.
        cache.delete(key);
        cache.set(key, kept);
        return copy(kept.response);
      }
      throw e;
    }
  });
}

/** A response with its own copy of the data. */
const copy = (r: Response): Response => ({ ...r, data: structuredClone(r.data as unknown) });

const shared = new Map<string, { etag: string; response: Response }>();

/** Probot's client with conditional GETs: what the App runs with. */
export const GantryOctokit = ProbotOctokit.plugin((octokit) => conditionalRequests(octokit));
