import { decideIssueGoal } from '../core/issue-goal.js';
import { STATE_LABELS } from '../core/labels.js';
import { handleCommentEdit } from './approvals.js';
import { handleCommand, kept } from './commands.js';
import { takeLostEdit } from './lost-edits.js';
import { ConfigError, configErrorComment, parseConfig, triggerLabel } from './config.js';
import type { AppDeps, GoalContext } from './goal-context.js';
import { goalKey, readGoalFacts, readRawConfig, type GoalRef } from './goal-facts.js';
import { GitHubGone } from './github/github-error.js';
import { stillWritten, type KnownFacts } from './known-facts.js';
import { recallGoal } from './recall-goal.js';
import { GoalSession } from './goal-session.js';
import type { GitHubPort } from './github/github-port.js';
import type { Hint } from './hints.js';
import { beginGoal, planWaits, runPlanner } from './planning.js';
import { runTasks } from './run-tasks.js';
import { permissionOf } from './permissions.js';
import { startGoal } from './start-goal.js';
import { autoApprovalRefusal } from './auto-approval.js';
import { issueEvents, keepTriggerLabel, mayPlan, type IssueEvents } from './trigger-label.js';

/**
 * Bring one goal in line with GitHub's facts and the hints of the webhooks that woke it:
 * read the issue, its comments and the trusted state; apply what people did; cancel a goal whose
 * issue was closed or unlabeled; plan what needs a plan; start what auto-approval starts; write
 * only what changed. Runs for one goal at a time.
 *
 * Woken only by Gantry's own consequences (runs finishing, CI verdicts), it trusts what it holds
 * instead: the config it read last (`ConfigCache`) and the issue and comments as the last
 * reconcile left them (`KnownFacts`). A person's change comes as a webhook of its own, whose
 * reconcile reads everything, as sweeps do.
 */
export async function reconcileGoal(
  github: GitHubPort,
  ref: GoalRef,
  hints: readonly Hint[],
  deps: AppDeps,
): Promise<void> {
  // Taken out whatever happens: only a reconcile that ends well leaves facts to trust.
  const known = deps.known?.take(goalKey(ref));
  const trusted = { used: false };
  try {
    await reconcileOnce(github, ref, hints, deps, known, trusted);
  } catch (e) {
    // Something held was gone on GitHub (a plan comment deleted, say): read everything, once.
    if (!trusted.used || !(e instanceof GitHubGone)) throw e;
    await reconcileOnce(github, ref, hints, deps, undefined, trusted);
  }
}

async function reconcileOnce(
  github: GitHubPort,
  ref: GoalRef,
  hints: readonly Hint[],
  deps: AppDeps,
  known: ReturnType<KnownFacts['take']>,
  trusted: { used: boolean },
): Promise<void> {
  const ownOnly = hints.length > 0 && hints.every((h) => h.kind === 'run' || h.kind === 'ci');
  let config: GoalContext['config'];
  let raw: unknown;
  try {
    raw = deps.configs
      ? await deps.configs.read(github, `${ref.owner}/${ref.repo}`, deps.now(), { cached: ownOnly })
      : await readRawConfig(github);
    config = { ok: true, value: parseConfig(raw) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    config = { ok: false, error: e };
  }
  const trigger = triggerLabel(raw);
  const relevant = hints.filter((h) => concerns(h, trigger));
  if (relevant.length === 0) return;

  // What the store holds (written before a restart, or by another replica) comes first.
  await Promise.all([recallGoal(deps, goalKey(ref)), deps.breakers.refresh()]);
  trusted.used =
    ownOnly && known !== undefined && stillWritten(known.mark, deps.memory.goal(goalKey(ref)));
  const facts = trusted.used ? known!.facts : await readGoalFacts(github, ref.issue, deps.appId);
  // What a comment was before a person's edit; apps' edits (Gantry's own included) say nothing.
  const earlierBodies = relevant.flatMap((h) =>
    h.kind === 'comment-edited' && !h.sender.bot ? [{ commentId: h.commentId, body: h.from }] : [],
  );
  const session = new GoalSession({
    github,
    ref,
    facts,
    stateKey: deps.stateKey,
    serverUrl: deps.serverUrl,
    memory: deps.memory,
    earlierBodies,
    log: deps.log,
    store: deps.store,
    editEveryMs: deps.planEditEveryMs,
    now: deps.now,
    sweep: relevant.some((h) => h.kind === 'poke'),
  });
  const g: GoalContext = { github, ref, session, deps, config, trigger };

  await takeLostEdit(g, relevant);
  for (const hint of relevant) {
    if (hint.kind === 'comment-edited') await handleCommentEdit(g, hint);
    else if (hint.kind === 'command') await handleCommand(g, hint);
    else if (hint.kind === 'issue-edited') offerReplan(g, hint.sender.bot);
  }

  const events = issueEvents(g);
  const held = await keepTriggerLabel(g, events);
  const { issue } = facts;
  const labeled = held || issue.labels.includes(trigger);
  const wanted = issue.open && labeled;
  const decision = decideIssueGoal({
    status: session.state?.status,
    issueOpen: issue.open,
    labeled,
    relabeled: relevant.some((h) => h.kind === 'labeled'),
    damaged: session.damaged !== undefined,
  });
  if (decision.stop) await stopForIssue(g, decision.stop);
  if (decision.next === 'new-goal' && (await mayPlan(g, events))) {
    if (!config.ok) {
      session.reply(configErrorComment(config.error, trigger), { once: true });
      await session.flush();
      return;
    }
    await beginGoal(g);
  } else if (decision.next === 'report-damage') {
    session.reply(
      `The hidden state of the Gantry plan comment was changed and cannot be restored (${session.damaged!.message}). Comment \`/gantry replan\` to make a new plan.`,
      { once: true },
    );
  }
  // Effects on GitHub (cancel a run, land, finish the PR) are carried out before the state that
  // asked for them is written (runTasks), so a crash in between asks for them again.
  if (!session.owesEffects) await session.flush();

  if (wanted && session.state?.status === 'planning' && !planWaits(g)) {
    await runPlanner(g);
    await session.flush();
  }
  await autoStart(g, events);
  await runTasks(g, relevant);
  if (session.live && session.state)
    deps.known?.keep(goalKey(ref), facts, {
      commentId: session.live.id,
      revision: session.state.revision,
    });
}

/**
 * The issue was closed or lost its label: cancel the goal. A person without write access (the
 * issue's author, say) cannot throw away a running goal that way: it is paused, and the
 * maintainers are told.
 */
async function stopForIssue(g: GoalContext, why: 'closed' | 'unlabeled'): Promise<void> {
  const { session, deps } = g;
  const closer = g.session.facts.issue.closedBy;
  const running = session.state?.status === 'running' || session.state?.status === 'paused';
  if (why === 'closed' && running && closer) {
    const allowed = !closer.bot && (await permissionOf(g.github, closer.login)).allowed;
    if (!allowed) {
      session.apply({ type: 'pause', at: deps.now(), actor: closer.login });
      session.reply(
        `@${closer.login} closed this issue without write access to the repository, so the running goal is paused, not cancelled. A maintainer can comment \`/gantry cancel\`, or reopen the issue and comment \`/gantry resume\`.`,
        { once: true },
      );
      return;
    }
  }
  session.apply({
    type: 'cancel',
    at: deps.now(),
    reason: `${
      why === 'closed'
        ? 'Cancelled: the issue was closed.'
        : `Cancelled: the \`${g.trigger}\` label was removed.`
    }${session.state ? kept(session.state) : ''}`,
  });
}

/**
 * With the auto policy (and its label on the issue), a new plan starts without ticks, but only
 * when the auto label approved exactly the text the plan was made from (`autoApprovalRefusal`).
 * Otherwise the tasks auto-approval ticked are unticked again: the plan waits for a person's.
 */
async function autoStart(g: GoalContext, events: IssueEvents): Promise<void> {
  const { config } = g;
  const s = g.session.state;
  if (!config.ok || !s || s.settings.approval !== 'auto' || s.status !== 'awaiting-approval')
    return;
  const refused = await autoApprovalRefusal(g, config.value.approval.autoLabel, events);
  if (refused) untickAutoApproved(g);
  const why = refused ?? (await startGoal(g, s.planVersion, undefined));
  if (why) g.session.reply(`Auto-approval did not start the goal: ${why}.`, { once: true });
  await g.session.flush();
}

/** Untick the tasks nobody ticked (auto-approval did); a person's ticks stay. */
function untickAutoApproved(g: GoalContext): void {
  const s = g.session.state!;
  const changes = (s.plan?.tasks ?? []).flatMap((t, i) => {
    const run = s.tasks.at(i);
    return run?.status === 'approved' && run.approvedBy === undefined
      ? [{ taskId: t.id, approved: false }]
      : [];
  });
  if (changes.length)
    g.session.apply({
      type: 'approvals.changed',
      at: g.deps.now(),
      planVersion: s.planVersion,
      changes,
    });
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
    case 'run':
    case 'ci':
      return true;
  }
}
