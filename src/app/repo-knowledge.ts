import { goalIdentity } from '../core/goal.js';
import type { Finding } from '../core/findings.js';
import { inert } from '../core/inert.js';
import type { GoalContext } from './goal-context.js';

/**
 * The most findings a repository keeps (the newest): every plan prompt carries them, so they stay
 * a few pages at most; `/gantry forget <n>` prunes the ones that no longer hold.
 */
export const MAX_REPO_FINDINGS = 40;

const repoOf = (g: GoalContext) => `${g.ref.owner}/${g.ref.repo}`;

/**
 * A done goal's findings, kept for the repository's later goals once its final state is written:
 * once per goal, so what a maintainer pruned is not brought back by a later pass over the goal.
 * Without a store (unit tests) nothing outlives the goal.
 */
export async function keepGoalFindings(g: GoalContext): Promise<void> {
  const s = g.session.state;
  const store = g.deps.store;
  if (!store || s?.status !== 'done' || !s.findings?.length) return;
  const findings = s.findings.map((f) => ({ ...f, source: `#${s.issue} ${f.source}` }));
  try {
    await store.keepFindings(
      repoOf(g),
      `${repoOf(g)}#${s.issue}:${goalIdentity(s)}`,
      findings,
      MAX_REPO_FINDINGS,
    );
  } catch (e) {
    // Not kept now, kept by the goal's next pass: nothing waits for it.
    g.deps.log?.warn(
      { goal: `${repoOf(g)}#${s.issue}` },
      `the goal's findings could not be kept: ${(e as Error).message}`,
    );
  }
}

/** What earlier goals of the repository learned, for the planner (none without a store). */
export async function repoKnowledge(g: GoalContext): Promise<Finding[]> {
  return (await g.deps.store?.repoFindings(repoOf(g))) ?? [];
}

/** The answer to `/gantry knowledge`: the repository's findings, numbered for `forget`. */
export async function listKnowledge(g: GoalContext): Promise<string> {
  if (!g.deps.store) return 'This Gantry has no store, so it keeps no findings between goals.';
  const found = await g.deps.store.repoFindings(repoOf(g));
  if (found.length === 0)
    return 'Gantry keeps no findings for this repository yet: the tasks of done goals leave them.';
  return [
    `**What earlier goals learned** (offered to the planner of every later goal; at most ${MAX_REPO_FINDINGS}, the newest kept):`,
    '',
    // Numbered by id, which pruning does not shift (a Markdown list would renumber them).
    ...found.map(
      (f) => `- \`${f.id}\` **${f.kind}** ${inert(f.text, 'line')} (${inert(f.source, 'line')})`,
    ),
    '',
    'Comment `/gantry forget <n>` to prune one that no longer holds.',
  ].join('\n');
}

/** The answer to `/gantry forget <n>`. */
export async function forgetKnowledge(g: GoalContext, n: number): Promise<string> {
  if (!g.deps.store) return 'This Gantry has no store, so it keeps no findings to forget.';
  const gone = await g.deps.store.forgetFinding(repoOf(g), n);
  return gone
    ? `Gantry forgot finding ${n}: ${inert(gone.text, 'line')} Later goals are no longer told it.`
    : `There is no finding ${n} for this repository: \`/gantry knowledge\` lists them with their numbers.`;
}
