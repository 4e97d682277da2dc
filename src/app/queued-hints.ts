import { transient } from './goal-workers.js';
import type { Hint } from './hints.js';
import type { GantryStore, HintQueued } from './store/store.js';

/**
 * The hint a goal's job carries in place of one kept in the store: the reconcile reads the kept
 * ones there, whichever replica received them. Known by identity, never by shape (a sweep's poke
 * must reconcile; this one need not when another replica has applied what it stands for).
 */
export const QUEUED: Hint = Object.freeze({ kind: 'poke' });

/**
 * Reconcile a goal (under its lock) with every hint the store keeps for it and the job's own
 * (sweeps, or hints the store could not take), then mark the kept ones applied. Nothing to do
 * when the job stood only for kept hints that another replica has applied meanwhile.
 *
 * A kept hint is applied at least once: a replica killed after its reconcile wrote to GitHub
 * but before the mark leaves it for the next reconcile, which finds the work done.
 */
export async function reconcileQueued(
  store: GantryStore,
  key: string,
  jobHints: readonly Hint[],
  reconcile: (hints: Hint[]) => Promise<void>,
): Promise<void> {
  const kept = await store.pendingHints(key);
  const own = jobHints.filter((h) => h !== QUEUED);
  if (kept.length === 0 && own.length === 0) return;
  const ids = kept.map((k) => k.id);
  try {
    await reconcile([...kept.map((k) => k.hint), ...own]);
  } catch (e) {
    // A transient failure leaves them for the retry (or the next sweep); any other forgets them,
    // as a failed job always has, so that one bad hint cannot fail every later reconcile.
    if (!transient(e)) await store.dropHints(ids).catch(() => undefined);
    throw e;
  }
  await store.hintsApplied(ids);
}

/** What to schedule for a routed hint given where the store has it ('lost': not stored). */
export function toSchedule(queued: HintQueued | 'unstored', hint: Hint): Hint | undefined {
  if (queued === 'applied') return undefined;
  return queued === 'unstored' ? hint : QUEUED;
}
