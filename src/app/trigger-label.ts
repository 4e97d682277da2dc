import { isLive } from '../core/goal.js';
import type { GoalContext } from './goal-context.js';
import type { IssueEvent } from './github/github-port.js';
import { mayChangeTrigger } from './permissions.js';

/** The issue's events, read at most once per reconcile (only when a rule needs them). */
export type IssueEvents = () => Promise<IssueEvent[]>;

export function issueEvents(g: Pick<GoalContext, 'github' | 'ref'>): IssueEvents {
  let read: Promise<IssueEvent[]> | undefined;
  return () => (read ??= g.github.listIssueEvents(g.ref.issue));
}

/**
 * The latest event of the trigger label, which must be `expected` (the label is on, or off, now);
 * 'lagging' when GitHub's event list has not caught up with the label yet (its latest event for
 * the label says the opposite), so an older event is never taken for the current one.
 */
function latestTriggerEvent(
  events: readonly IssueEvent[],
  label: string,
  expected: 'labeled' | 'unlabeled',
): IssueEvent | undefined | 'lagging' {
  const latest = events
    .filter((e) => (e.event === 'labeled' || e.event === 'unlabeled') && e.label === label)
    .at(-1);
  return latest && latest.event !== expected ? 'lagging' : latest;
}

const configOf = (g: GoalContext) => (g.config.ok ? g.config.value : undefined);

const who = (login: string | undefined) => (login ? `@${login}` : 'Someone');

/**
 * The trigger label was removed from the open issue of a live goal by someone who may not cancel
 * it (a triager, say; GitHub lets triage change labels): put the label back and say so, once per
 * person. Returns whether the goal keeps its label for this pass: it was put back, or GitHub's
 * events do not say yet who removed it. Who removed it comes from the issue's events, never from
 * a webhook, so a sweep after lost webhooks decides the same.
 */
export async function keepTriggerLabel(g: GoalContext, events: IssueEvents): Promise<boolean> {
  const { issue } = g.session.facts;
  if (!issue.open || issue.labels.includes(g.trigger) || !isLive(g.session.state?.status))
    return false;
  const removed = latestTriggerEvent(await events(), g.trigger, 'unlabeled');
  // GitHub's events lag behind the label: who removed it is not known yet, so the goal is left
  // as it is for this pass (neither cancelled on an unknown actor's word nor relabelled).
  if (removed === 'lagging') return true;
  if ((await mayChangeTrigger(g.github, removed?.actor, configOf(g))).allowed) return false;
  await g.github.addLabels(g.ref.issue, [g.trigger]);
  issue.labels.push(g.trigger);
  g.session.reply(
    `${who(removed?.actor?.login)} removed the \`${g.trigger}\` label without write access to this repository, so Gantry put it back and the goal goes on. People with write, maintain or admin access can cancel it by removing the label or commenting \`/gantry cancel\`.`,
    { once: true },
  );
  return true;
}

/**
 * Whether whoever last added the trigger label may have the issue planned (planning spends
 * money): a person with write access or an allow-listed bot. Otherwise nothing is planned and
 * they are told, once, who may.
 */
export async function mayPlan(g: GoalContext, events: IssueEvents): Promise<boolean> {
  const added = latestTriggerEvent(await events(), g.trigger, 'labeled');
  // Who added it is not in GitHub's events yet: decide on a later pass, never on an older event.
  if (added === 'lagging') return false;
  if ((await mayChangeTrigger(g.github, added?.actor, configOf(g))).allowed) return true;
  g.session.reply(
    `${who(added?.actor?.login)} added the \`${g.trigger}\` label, but Gantry plans an issue only when a person with write, maintain or admin access to this repository (or a bot listed in \`approval.allowBots\` of \`.github/gantry.yml\`) adds it: planning and running cost money. Nothing was planned; a maintainer can remove the label and add it again.`,
    { once: true },
  );
  return false;
}
