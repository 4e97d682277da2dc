/**
 * One worker per goal: jobs for the same key run one after another, different keys in parallel.
 * Webhook handlers enqueue and return at once, so GitHub gets its answer within its 10 s.
 */
export class GoalQueue {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly onError: (key: string, error: unknown) => void) {}

  enqueue(key: string, job: () => Promise<void>): void {
    const tail = (this.tails.get(key) ?? Promise.resolve())
      .then(job)
      .catch((e: unknown) => this.onError(key, e))
      .finally(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    this.tails.set(key, tail);
  }

  /** Resolves when every queued job has finished (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
