import { formatUsd, fromMicros, toMicros } from '../core/money.js';
import type { GantryConfig } from './config.js';
import type { GoalContext } from './goal-context.js';
import { goalKey } from './goal-facts.js';
import { attemptKey } from './ledger-key.js';
import type { Held } from './store/store.js';

/** The repository's caps of the config, in micro-dollars. */
export function capsOf(c: GantryConfig): { daily?: number; monthly?: number } {
  return {
    ...(c.budget.dailyUsd !== undefined ? { daily: toMicros(c.budget.dailyUsd) } : {}),
    ...(c.budget.monthlyUsd !== undefined ? { monthly: toMicros(c.budget.monthlyUsd) } : {}),
  };
}

/**
 * Before an attempt is dispatched: hold its reservation against the repository's daily and
 * monthly caps in the store (with every other goal of the repository, on every replica). The
 * reason to pause with when a cap refuses it; undefined when it is held (or there is no store).
 */
export async function holdForCaps(
  g: GoalContext,
  taskId: string,
  attempt: number,
): Promise<string | undefined> {
  const { store } = g.deps;
  const s = g.session.state!;
  if (!store || !g.config.ok) return undefined;
  const i = s.plan!.tasks.findIndex((t) => t.id === taskId);
  const micros = s.tasks.at(i)?.reservedMicros ?? 0;
  const held = await store.reserve({
    key: attemptKey(goalKey(g.ref), s, taskId, attempt),
    repo: `${g.ref.owner}/${g.ref.repo}`,
    goalKey: goalKey(g.ref),
    micros,
    at: g.deps.now(),
    caps: capsOf(g.config.value),
  });
  return held.ok ? undefined : capReason(held, taskId, micros);
}

function capReason(held: Extract<Held, { ok: false }>, taskId: string, micros: number): string {
  const what = held.period === 'daily' ? 'daily' : 'monthly';
  const key = held.period === 'daily' ? 'budget.dailyUsd' : 'budget.monthlyUsd';
  const resets = new Date(held.resetsAt).toISOString().replace('T', ' ').slice(0, 16);
  return `Spending cap: the repository's ${what} cap of ${formatUsd(fromMicros(held.capMicros))} is reached (${formatUsd(fromMicros(held.spentMicros))} spent or held by its goals this ${held.period === 'daily' ? 'day' : 'month'}, UTC), and ${taskId} needs ${formatUsd(fromMicros(micros))}. It resets at ${resets} UTC: comment \`/gantry resume\` then, or raise \`${key}\` in .github/gantry.yml and resume.`;
}
