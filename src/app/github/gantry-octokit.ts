import { ProbotOctokit } from 'probot';
import { pacedAsContent, WritePacer } from './write-pacer.js';

type Client = Pick<ProbotOctokit, 'hook' | 'request'>;
type Response = Awaited<ReturnType<ProbotOctokit['request']>>;

/** Responses kept for revalidation: at most this many characters of JSON in all, newest kept. */
const MAX_TOTAL_CHARS = 32 * 1024 * 1024;
/** A response bigger than this is not kept (a long run listing, say). */
const MAX_ENTRY_CHARS = 256 * 1024;

interface Entry {
  etag: string;
  response: Response;
  size: number;
}

/** A bounded cache of responses by request, oldest first. */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private total = 0;

  constructor(private readonly maxChars = MAX_TOTAL_CHARS) {}

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** Keep (or refresh) an entry as the newest; drop the oldest beyond the bound. */
  put(key: string, entry: Entry): void {
    this.drop(key);
    if (entry.size > MAX_ENTRY_CHARS) return;
    this.entries.set(key, entry);
    this.total += entry.size;
    for (const [k] of this.entries) {
      if (this.total <= this.maxChars) break;
      this.drop(k);
    }
  }

  drop(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.total -= old.size;
  }

  get chars(): number {
    return this.total;
  }
}

/**
 * Conditional GETs: a response that came with an ETag is kept, and the next GET of the same URL
 * sends `If-None-Match`. GitHub answers 304 when nothing changed, which costs no rate limit, and
 * the kept response is returned. Sweeps read the same issues, comments and config again and
 * again, so most of their reads become free. One cache for every installation's client: a URL
 * names one repository, which one installation reaches.
 */
export function conditionalRequests(octokit: Client, cache: ResponseCache = shared): void {
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
      // JSON only (artifacts are large and read once); a copy, as callers may change theirs.
      if (etag && !(response.data instanceof ArrayBuffer)) {
        const size = JSON.stringify(response.data ?? null).length;
        cache.put(key, { etag, response: copy(response), size });
      } else cache.drop(key);
      return response;
    } catch (e) {
      if ((e as { status?: number }).status === 304 && kept) {
        cache.put(key, kept); // still current: now the newest
        return copy(kept.response);
      }
      throw e;
    }
  });
}

/** A response with its own copy of the data. */
const copy = (r: Response): Response => ({ ...r, data: structuredClone(r.data as unknown) });

const shared = new ResponseCache();

/**
 * Statuses Octokit's retry plugin answers at once: its own list, and 409. A 409 is an answer (a
 * merge conflict, a run already over), and asking again three times, with waits, only delays it.
 */
export const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 451];

/**
 * Content-creating requests of an installation's client wait for room under GitHub's secondary
 * limits (`WritePacer`), so they are never refused for them. Probot's throttling plugin spaces
 * writes a second apart but knows no hourly limit, and only reacts to a refusal after it: this
 * paces before. One pacer for every client of the process, keyed by installation.
 */
export function pacedWrites(
  octokit: Client,
  installationId: number | undefined,
  pacer: WritePacer = sharedPacer,
): void {
  if (installationId === undefined) return; // the App's own JWT calls create nothing
  octokit.hook.wrap('request', async (request, options) => {
    const { method, url, body } = octokit.request.endpoint.parse(options) as {
      method: string;
      url: string;
      body?: { query?: unknown };
    };
    const query = body?.query;
    if (pacedAsContent(method, url, query)) await pacer.take(`installation ${installationId}`);
    return request(options);
  });
}

export const sharedPacer = new WritePacer();

/** Probot's client with conditional GETs and no retries of 409s: what the App runs with. */
export const GantryOctokit = ProbotOctokit.plugin((octokit, options) => {
  conditionalRequests(octokit);
  pacedWrites(octokit, (options as { auth?: { installationId?: number } }).auth?.installationId);
}).defaults((o: { retry?: object }) => ({ ...o, retry: { ...o.retry, doNotRetry: DO_NOT_RETRY } }));
