import type { GoalState } from '../core/goal.js';

/**
 * What Gantry last wrote, in memory: the body of every comment it edited, and the state of each
 * goal with the comment that holds it. It lets Gantry recognise its own edits when their webhooks
 * come back, restore a plan comment whose state was altered or that was deleted, and refuse a
 * state from another goal. GitHub stays the system of record: after a restart this is empty and
 * the signed state in the comment is all Gantry needs.
 */
export class StateMemory {
  /** The last few bodies written to each comment: their webhooks may come back after newer writes. */
  private readonly bodies = new Map<number, string[]>();
  private readonly goals = new Map<string, { commentId: number; state: GoalState }>();
  /** People's edits taken from a comment's history (their webhook was late, or lost). */
  private readonly taken = new Map<number, string[]>();
  /** What Gantry last sent to each plan comment, when, and what it showed (`SentPlan`). */
  private readonly sentPlans = new Map<number, SentPlan>();

  constructor(private readonly capacity = 2000) {}

  /** Whether Gantry wrote this body to this comment recently: the webhook of its own edit. */
  wrote(commentId: number, body: string): boolean {
    return this.bodies.get(commentId)?.includes(body) ?? false;
  }

  /** The goal's last state and the comment it was written to. */
  goal(key: string): { commentId: number; state: GoalState } | undefined {
    return this.goals.get(key);
  }

  wroteComment(commentId: number, body: string): void {
    this.remember(this.bodies, commentId, body);
  }

  /** A person's edit was taken on a sweep; its webhook, if it comes late, changes nothing. */
  tookEdit(commentId: number, body: string): void {
    this.remember(this.taken, commentId, body);
  }

  /** The last four bodies of a comment, newest last. */
  private remember(map: Map<number, string[]>, commentId: number, body: string): void {
    const recent = (map.get(commentId) ?? []).filter((b) => b !== body);
    bounded(map, commentId, [...recent.slice(-3), body], this.capacity);
  }

  tookEditBefore(commentId: number, body: string): boolean {
    return this.taken.get(commentId)?.includes(body) ?? false;
  }

  /** The plan comment as Gantry last sent it to GitHub (a deferred edit is not sent yet). */
  sentPlan(commentId: number): SentPlan | undefined {
    return this.sentPlans.get(commentId);
  }

  sentPlanComment(commentId: number, sent: SentPlan): void {
    bounded(this.sentPlans, commentId, sent, this.capacity);
  }

  wroteState(key: string, commentId: number, state: GoalState): void {
    bounded(this.goals, key, { commentId, state }, this.capacity);
  }
}

/** A plan comment as sent: its body, when, and what of it must never wait (`GoalSession`). */
export interface SentPlan {
  body: string;
  at: number;
  /** Status, labels, plan version and task ids: a change of any is written at once. */
  shape: string;
}

/** Set `key` as the newest entry of `map`, dropping the oldest one beyond `capacity`. */
export function bounded<K, V>(map: Map<K, V>, key: K, value: V, capacity: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > capacity) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
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
