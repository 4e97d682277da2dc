import { GitHubRateLimited } from './github/github-error.js';
import type { Hint } from './hints.js';

/** One goal's pending work: the hints gathered since its last reconcile began. */
export interface GoalJob<C> {
  key: string;
  /** The latest request context (a fresh installation token). */
  context: C;
  hints: Hint[];
}

/**
 * One worker per goal. Webhook handlers schedule and return at once, so GitHub gets its answer
 * within its 10 s. Hints that arrive while a goal is being reconciled are coalesced into a single
 * next reconcile: a burst of events costs two reconciles, not one per event.
 */
export class GoalWorkers<C> {
  private readonly pending = new Map<string, GoalJob<C>>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly work: (job: GoalJob<C>) => Promise<void>,
    private readonly onError: (key: string, error: unknown) => void,
    /** Waits before trying a job again after a transient failure (5xx, 429, network). */
    private readonly retryDelaysMs: readonly number[] = [2_000, 15_000, 60_000],
    /** Told before each retry (attempt 1 is the first retry), so none is silent. */
    private readonly onRetry?: (
      key: string,
      error: unknown,
      attempt: number,
      delayMs: number,
    ) => void,
  ) {}

  schedule(key: string, context: C, hint: Hint): void {
    const job = this.pending.get(key);
    if (job) {
      job.context = context;
      job.hints.push(hint);
    } else this.pending.set(key, { key, context, hints: [hint] });
    if (!this.running.has(key)) this.drain(key);
  }

  private drain(key: string): void {
    const run = (async () => {
      for (let job = this.take(key); job; job = this.take(key)) {
        for (let attempt = 0; ; attempt++) {
          try {
            await this.work(job);
            break;
          } catch (e) {
            const delay = this.retryDelaysMs[attempt];
            if (delay === undefined || !transient(e)) {
              this.onError(key, e);
              break;
            }
            this.onRetry?.(key, e, attempt + 1, delay);
            // The hints are kept (who ticked, which command); newer ones join them.
            await new Promise((resolve) => setTimeout(resolve, delay));
            const newer = this.take(key);
            if (newer) job = { ...newer, hints: [...job.hints, ...newer.hints] };
          }
        }
      }
    })().finally(() => {
      this.running.delete(key);
      if (this.pending.has(key)) this.drain(key);
    });
    this.running.set(key, run);
  }

  private take(key: string): GoalJob<C> | undefined {
    const job = this.pending.get(key);
    this.pending.delete(key);
    return job;
  }

  /** Resolves when no goal has work left (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}

/**
 * A failure worth another try: GitHub's 5xx and rate limits, no answer at all, or the store's
 * server gone for a moment (a restart, a failover).
 */
export function transient(e: unknown): boolean {
  // 403 with GitHub's rate-limit headers too (a secondary limit answers 403 with retry-after).
  if (e instanceof GitHubRateLimited) return true;
  // GraphQL answers its own rate limit with 200 and an error of this type.
  if ((e as { errors?: { type?: unknown }[] }).errors?.some((x) => x.type === 'RATE_LIMITED'))
    return true;
  const status = (e as { status?: unknown }).status;
  if (typeof status !== 'number')
    return (
      e instanceof TypeError ||
      (e as Error).name === 'FetchError' ||
      NETWORK_CODES.has(String((e as { code?: unknown }).code)) ||
      storeUnavailable(e)
    );
  return status >= 500 || status === 429;
}

/** Errors of the network itself, as Node names them. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL (through pg) out of reach for now: pg's own messages for a connection that ended or
 * never came, and the server's SQLSTATEs for a connection lost (08), too little of a resource
 * (53), a server shutting down (57P01-57P03), a serialization failure or deadlock (40001, 40P01).
 */
export function storeUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return /^(08|53|57P0[123]$|40001$|40P01$)/.test(code);
  const message = e instanceof Error ? e.message : '';
  return /^Connection terminated|^timeout exceeded when trying to connect|^Client has encountered a connection error/.test(
    message,
  );
}
