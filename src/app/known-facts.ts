import type { GoalState } from '../core/goal.js';
import type { GoalFacts } from './goal-facts.js';

/** The state a reconcile left: which plan comment holds it, at which revision. */
export interface FactsMark {
  commentId: number;
  revision: number;
}

/**
 * Each goal's facts (its issue and comments) as the last reconcile left them, Gantry's own writes
 * included, in this process. A reconcile woken only by Gantry's own consequences (a run finished,
 * CI reported) uses them instead of reading the issue and its comments again: whatever a person
 * does to the issue comes as a webhook of its own, whose reconcile reads everything.
 *
 * A goal's entry is taken out when any reconcile of it starts and put back only by one that ends
 * well, so a failed reconcile (a write half done, an edit not taken) leaves nothing to trust. It
 * is trusted only while the state Gantry last wrote for the goal is the one it was left with:
 * after a restart there is none, and a state another replica wrote (recalled from the store)
 * does not match.
 */
export class KnownFacts {
  private readonly goals = new Map<string, { facts: GoalFacts; mark: FactsMark }>();

  constructor(private readonly capacity = 2000) {}

  /** The goal's entry, removed; undefined when there is none. */
  take(key: string): { facts: GoalFacts; mark: FactsMark } | undefined {
    const kept = this.goals.get(key);
    this.goals.delete(key);
    return kept;
  }

  /** The facts a reconcile ended with, and the state it last wrote. */
  keep(key: string, facts: GoalFacts, mark: FactsMark): void {
    this.goals.delete(key);
    this.goals.set(key, { facts, mark });
    if (this.goals.size > this.capacity) {
      const oldest = this.goals.keys().next().value;
      if (oldest !== undefined) this.goals.delete(oldest);
    }
  }
}

/** Whether facts left with `mark` still go with the state Gantry last wrote (`written`). */
export function stillWritten(
  mark: FactsMark,
  written: { commentId: number; state: GoalState } | undefined,
): boolean {
  return written?.commentId === mark.commentId && written.state.revision === mark.revision;
}
