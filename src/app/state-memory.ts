import type { GoalState } from '../core/goal.js';

/**
 * The last state and body Gantry wrote to each plan comment, in memory. It lets Gantry restore a
 * comment whose hidden state was altered, and recognise its own edits when their webhooks come
 * back. GitHub stays the system of record: after a restart this is empty and nothing depends on it.
 */
export class StateMemory {
  private readonly entries = new Map<number, { state: GoalState; body: string }>();

  constructor(private readonly capacity = 2000) {}

  get(commentId: number): { state: GoalState; body: string } | undefined {
    return this.entries.get(commentId);
  }

  set(commentId: number, state: GoalState, body: string): void {
    this.entries.delete(commentId);
    this.entries.set(commentId, { state, body });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

/** Webhook deliveries already handled (GitHub keeps the id on a manual redelivery), bounded. */
export class DeliveryLog {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is seen, false for every repeat. */
  first(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}
