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
 * but before the mark leaves it for the next reconcile, which finds the work done (a command
 * carried out is remembered in the signed state it wrote).
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
  await markApplied(store, ids);
}

/**
 * Mark hints applied, trying again a few times on its own: the reconcile is done, and doing it
 * again for a mark that failed once would repeat what it replied.
 */
async function markApplied(store: GantryStore, ids: readonly string[]): Promise<void> {
  for (const wait of [0, 500, 2_000]) {
    if (wait) await new Promise((r) => setTimeout(r, wait));
    try {
      await store.hintsApplied(ids);
      return;
    } catch (e) {
      if (!transient(e)) break;
    }
  }
  // Left pending: the next reconcile of the goal applies them again and finds their work done
  // (a command carried out is in the state's `commands`, and is not carried out again).
}

/** What to schedule for a routed hint given where the store has it ('unstored': it could not take it). */
export function toSchedule(queued: HintQueued | 'unstored', hint: Hint): Hint | undefined {
  if (queued === 'applied') return undefined;
  return queued === 'unstored' ? hint : QUEUED;
}
