import type { ProbotOctokit } from 'probot';
import { STATE_LABELS } from '../core/labels.js';
import { handleCommentEdit } from './approvals.js';
import { handleCommand } from './commands.js';
import { ConfigError, configErrorComment, parseConfig, triggerLabel } from './config.js';
import type { AppDeps, GoalContext } from './goal-context.js';
import { readGoalFacts, readRawConfig, type GoalRef } from './goal-facts.js';
import { GoalSession } from './goal-session.js';
import type { Hint } from './hints.js';
import { newGoalState, runPlanner } from './planning.js';
import { startGoal } from './start-goal.js';

/** Goal statuses in which the goal still holds the issue (cancel applies). */
const OPEN_GOAL = new Set(['planning', 'awaiting-approval', 'running', 'paused', 'partial']);
/** Finished goals that a new label (or `/gantry replan`) replaces with a new goal. */
const RESTARTABLE = new Set(['cancelled', 'failed']);

/**
 * Bring one goal in line with GitHub's facts and the hints of the webhooks that woke it:
 * read the issue, its comments and the trusted state; apply what people did; cancel a goal whose
 * issue was closed or unlabeled; plan what needs a plan; start what auto-approval starts; write
 * only what changed. Runs for one goal at a time.
 */
export async function reconcileGoal(
  octokit: ProbotOctokit,
  ref: GoalRef,
  hints: readonly Hint[],
  deps: AppDeps,
): Promise<void> {
  let config: GoalContext['config'];
  let raw: unknown;
  try {
    raw = await readRawConfig(octokit, ref);
    config = { ok: true, value: parseConfig(raw) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    config = { ok: false, error: e };
  }
  const trigger = triggerLabel(raw);
  const relevant = hints.filter((h) => concerns(h, trigger));
  if (relevant.length === 0) return;

  const facts = await readGoalFacts(octokit, ref, deps.appId);
  // What a comment was before a person's edit; apps' edits (Gantry's own included) say nothing.
  const earlierBodies = relevant.flatMap((h) =>
    h.kind === 'comment-edited' && !h.sender.bot ? [{ commentId: h.commentId, body: h.from }] : [],
  );
  const session = new GoalSession({
    octokit,
    ref,
    facts,
    stateKey: deps.stateKey,
    serverUrl: deps.serverUrl,
    memory: deps.memory,
    earlierBodies,
  });
  const g: GoalContext = { octokit, ref, session, deps, config, trigger };

  for (const hint of relevant) {
    if (hint.kind === 'comment-edited') await handleCommentEdit(g, hint);
    else if (hint.kind === 'command') await handleCommand(g, hint);
    else if (hint.kind === 'issue-edited') offerReplan(g, hint.sender.bot);
  }

  const { issue } = facts;
  const labeled = issue.labels.includes(trigger);
  const status = session.state?.status;
  if (status && OPEN_GOAL.has(status) && (!issue.open || !labeled))
    session.apply({
      type: 'cancel',
      at: deps.now(),
      reason: !issue.open
        ? 'Cancelled: the issue was closed.'
        : `Cancelled: the \`${trigger}\` label was removed.`,
    });

  const relabeled = relevant.some((h) => h.kind === 'labeled');
  const wanted = issue.open && labeled;
  const replace = !session.state || (relabeled && RESTARTABLE.has(session.state.status));
  if (wanted && replace && (relabeled || !session.damaged)) {
    if (!config.ok) {
      session.reply(configErrorComment(config.error), { once: true });
      await session.flush();
      return;
    }
    session.begin(newGoalState(g));
  } else if (session.damaged) {
    session.reply(
      `The hidden state of the Gantry plan comment was changed and cannot be restored (${session.damaged.message}). Comment \`/gantry replan\` to make a new plan.`,
      { once: true },
    );
  }
  await session.flush();

  if (wanted && session.state?.status === 'planning') {
    await runPlanner(g);
    await session.flush();
  }
  await autoStart(g, config);
}

/** With the auto policy (and its label on the issue), a new plan starts without ticks. */
async function autoStart(g: GoalContext, config: GoalContext['config']): Promise<void> {
  const s = g.session.state;
  if (!config.ok || !s || s.settings.approval !== 'auto' || s.status !== 'awaiting-approval')
    return;
  const why = await startGoal(g, s.planVersion, undefined);
  if (why) g.session.reply(`Auto-approval could not start the goal: ${why}.`, { once: true });
  await g.session.flush();
}

/** While a plan waits for approval, a changed issue may deserve a new plan: say so, once. */
function offerReplan(g: GoalContext, byBot: boolean): void {
  const s = g.session.state;
  if (byBot || s?.status !== 'awaiting-approval') return;
  g.session.reply(
    `The issue changed after plan v${s.planVersion} was made. Comment \`/gantry replan\` to plan it again from the new text (with optional feedback after the verb).`,
    { once: true },
  );
}

/** Whether a hint can matter to a goal, judged before any request beyond the config. */
function concerns(h: Hint, trigger: string): boolean {
  const goalLabels = (labels: readonly string[]) =>
    labels.some((l) => l === trigger || (STATE_LABELS as readonly string[]).includes(l));
  switch (h.kind) {
    case 'labeled':
    case 'unlabeled':
      return h.label === trigger;
    case 'closed':
    case 'issue-edited':
      return goalLabels(h.labels);
    case 'poke':
    case 'command':
    case 'comment-edited':
      return true;
  }
}
