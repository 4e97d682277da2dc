import { formatUsd, fromMicros, toMicros } from '../core/money.js';
import type { GantryConfig } from './config.js';
import type { GoalContext } from './goal-context.js';
import { goalKey } from './goal-facts.js';
import { attemptKey } from './ledger-key.js';
import type { Caps, Held } from './store/store.js';

/** The repository's caps of the config, in micro-dollars. */
export function capsOf(c: GantryConfig, accountMonthlyUsd?: number): Caps {
  return {
    ...(c.budget.dailyUsd !== undefined ? { daily: toMicros(c.budget.dailyUsd) } : {}),
    ...(c.budget.monthlyUsd !== undefined ? { monthly: toMicros(c.budget.monthlyUsd) } : {}),
    ...(accountMonthlyUsd !== undefined ? { account: toMicros(accountMonthlyUsd) } : {}),
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
    caps: capsOf(g.config.value, g.deps.accountMonthlyUsd),
  });
  return held.ok ? undefined : capReason(held, g.ref.owner, taskId, micros);
}

function capReason(
  held: Extract<Held, { ok: false }>,
  owner: string,
  taskId: string,
  micros: number,
): string {
  const resets = new Date(held.resetsAt).toISOString().replace('T', ' ').slice(0, 16);
  const cap = formatUsd(fromMicros(held.capMicros));
  const spent = formatUsd(fromMicros(held.spentMicros));
  const [which, by, raise] =
    held.period === 'daily'
      ? [
          `the repository's daily cap of ${cap}`,
          'its goals this day',
          'raise `budget.dailyUsd` in .github/gantry.yml and resume',
        ]
      : held.period === 'monthly'
        ? [
            `the repository's monthly cap of ${cap}`,
            'its goals this month',
            'raise `budget.monthlyUsd` in .github/gantry.yml and resume',
          ]
        : [
            `the monthly cap of ${cap} for all of ${owner}'s repositories`,
            `${owner}'s goals this month`,
            "ask the App's operator (it is `GANTRY_ACCOUNT_MONTHLY_USD`)",
          ];
  return `Spending cap: ${which} is reached (${spent} spent or held by ${by}, UTC), and ${taskId} needs ${formatUsd(fromMicros(micros))}. It resets at ${resets} UTC: comment \`/gantry resume\` then, or ${raise}.`;
}
