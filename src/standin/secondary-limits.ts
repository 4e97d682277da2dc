/**
 * Whether a REST request creates content, for GitHub's content-creation limit: POST and PUT make
 * something new (a comment, a pull request, a ref, a merge commit, a dispatched run, a reaction).
 * PATCH and DELETE change or remove what exists, and are not counted: GitHub does not say they
 * are, and counting them would refuse what GitHub lets through.
 */
export const createsContent = (method: string): boolean => method === 'POST' || method === 'PUT';

/** Whether a GraphQL mutation's root field creates content (`addComment`, `createIssue`). */
export const mutationCreatesContent = (field: string): boolean =>
  /^(add|create|merge|clone|copy|import|transfer)[A-Z]/.test(field);

/**
 * GitHub's secondary rate limits for requests that create content: at most 80 a minute and 500 an
 * hour, per installation. Driven by the stand-in's clock, so a scenario on a fake clock sees the
 * same limits; a test sets them low to see the refusal.
 */
export class SecondaryLimits {
  perMinute = 80;
  perHour = 500;
  /** The most content-creating requests one installation made within a minute: how close it came. */
  peakPerMinute = 0;
  /** When each counted request was made, per installation (ms, oldest first). */
  private readonly made = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /**
   * Count one content-creating request by `who`; when it is over a limit it is not counted, and
   * the seconds to wait before the oldest request in the full window leaves it are returned.
   */
  take(who: string): { retryAfter: number; limit: string } | undefined {
    const now = this.now();
    const times = (this.made.get(who) ?? []).filter((t) => t > now - 3600_000);
    this.made.set(who, times);
    for (const [limit, windowMs, max] of [
      ['a minute', 60_000, this.perMinute],
      ['an hour', 3600_000, this.perHour],
    ] as const) {
      const inWindow = times.filter((t) => t > now - windowMs);
      const oldest = inWindow[inWindow.length - max];
      if (oldest !== undefined && inWindow.length >= max)
        return { retryAfter: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)), limit };
    }
    times.push(now);
    this.peakPerMinute = Math.max(this.peakPerMinute, times.filter((t) => t > now - 60_000).length);
    return undefined;
  }
}
