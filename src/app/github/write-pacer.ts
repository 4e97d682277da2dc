import { GitHubRateLimited } from './github-error.js';

/** GitHub's published ceilings on content-generating requests, per installation. */
export const CONTENT_LIMITS = [
  { windowMs: 60_000, max: 80 },
  { windowMs: 3_600_000, max: 500 },
] as const;

export interface PacerClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * Keeps an installation's content-creating requests under GitHub's secondary limits by
 * construction: a request goes out at once while every window (a minute, an hour) has room for
 * it, and otherwise waits until the oldest request in the full window leaves it. Sliding windows
 * of when each request went out, not a token bucket: a bucket within 80 a minute and 500 an hour
 * would hold 73 and add 7 a minute, slower than GitHub allows. Waits, never fails. One pacer per
 * process: replicas of the App each pace their own requests (see README, Measurements).
 */
export class WritePacer {
  /** When each request went out, per key, oldest first (the longest window's worth). */
  private readonly sent = new Map<string, number[]>();
  /** Requests of one key go out in order: the next waits for the one before it to be placed. */
  private readonly queue = new Map<string, Promise<void>>();
  /** How long requests waited in all, and the most that went out in one minute: for figures. */
  waitedMs = 0;
  peakPerMinute = 0;

  constructor(
    private readonly limits: readonly { windowMs: number; max: number }[] = CONTENT_LIMITS,
    private readonly clock: PacerClock = realClock,
    /**
     * The longest a request waits here: a reconcile holds its goal's lock meanwhile. A full
     * minute's window always fits; a longer wait (the hour's budget spent) fails the request as
     * a rate limit, and the job is tried again later, its lock released.
     */
    private readonly maxWaitMs = 90_000,
  ) {}

  /**
   * Resolves when a request of `key` may go out, and counts it as gone out then; rejects with
   * GitHubRateLimited when that is more than `maxWaitMs` away.
   */
  take(key: string): Promise<void> {
    const place = () => this.place(key);
    // In order, whether the one before went out or gave up.
    const turn = (this.queue.get(key) ?? Promise.resolve()).then(place, place);
    this.queue.set(key, turn);
    const done = () => {
      if (this.queue.get(key) === turn) this.queue.delete(key);
    };
    // The caller gets the rejection; this chain only tidies up.
    void turn.then(done, done);
    return turn;
  }

  private async place(key: string): Promise<void> {
    const longest = Math.max(...this.limits.map((l) => l.windowMs));
    for (;;) {
      const now = this.clock.now();
      const times = (this.sent.get(key) ?? []).filter((t) => t > now - longest);
      this.sent.set(key, times);
      const wait = Math.max(0, ...this.limits.map((l) => waitFor(times, l, now)));
      if (wait === 0) {
        times.push(now);
        const minute = times.filter((t) => t > now - 60_000).length;
        this.peakPerMinute = Math.max(this.peakPerMinute, minute);
        return;
      }
      if (wait > this.maxWaitMs)
        throw new GitHubRateLimited(
          `Gantry paces content-creating requests under GitHub's secondary limits (${this.limits.map((l) => `${l.max} per ${l.windowMs / 60_000} min`).join(', ')}): the next one fits in ${Math.ceil(wait / 1000)} s, so this work is tried again later`,
          429,
        );
      this.waitedMs += wait;
      await this.clock.sleep(wait);
    }
  }
}

/** How long until `times` has room for one more in the window (0: now). */
function waitFor(times: readonly number[], l: { windowMs: number; max: number }, now: number) {
  const inWindow = times.filter((t) => t > now - l.windowMs);
  if (inWindow.length < l.max) return 0;
  // The request that must leave the window for one more to fit in it.
  const leaving = inWindow[inWindow.length - l.max]!;
  return leaving + l.windowMs - now + 1;
}

/**
 * Whether a request is paced as content-creating. GitHub does not list what counts, so this is a
 * superset of what the stand-in enforces (POST and PUT): PATCH too, as a comment edit changes what
 * people see; GraphQL only for mutations. Authentication (installation tokens) never counts.
 */
export function pacedAsContent(method: string, url: string, query?: unknown): boolean {
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '').replace(/^\/api\/v3(?=\/)/, '');
  if (path.startsWith('/app/') || path.startsWith('/applications/')) return false;
  // GitHub Enterprise Server serves GraphQL at /api/graphql.
  if (path === '/graphql' || path === '/api/graphql')
    return typeof query === 'string' && /^\s*mutation\b/.test(query);
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}
