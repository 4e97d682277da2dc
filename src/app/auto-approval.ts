import { issueTextHash } from '../core/issue-goal.js';
import type { GoalContext } from './goal-context.js';
import { lastLabelEvent, permissionOf } from './permissions.js';
import type { IssueEvents } from './trigger-label.js';

/**
 * Why auto-approval may not start the goal's plan, or undefined when it may. The auto label
 * approves the issue's text as it was when it was added, so it must have been added by a person
 * with write access (automation that labels issues from their text must not let an author start
 * agents), the title and body must not have changed since, and the plan must have been made from
 * exactly that text: an author's later edit, planned after a relabel, waits for ticks.
 */
export async function autoApprovalRefusal(
  g: GoalContext,
  label: string,
  events: IssueEvents,
): Promise<string | undefined> {
  const list = await events();
  // The label approves only while it is on the issue: removed (and not added again), it no longer
  // speaks for anyone, whatever the goal's settings said when it was created.
  const latest = list.filter((e) => e.label === label && e.event !== 'renamed').at(-1);
  if (!g.session.facts.issue.labels.includes(label) || latest?.event === 'unlabeled')
    return `the \`${label}\` label is no longer on the issue; tick the tasks to run and **Start**`;
  const added = lastLabelEvent(list, 'labeled', label);
  const by = added?.actor;
  const allowed = by && !by.bot && (await permissionOf(g.github, by.login)).allowed;
  if (!by || !allowed)
    return `the \`${label}\` label was added by ${by ? `@${by.login}` : 'someone unknown'}, not by a person with write access; tick the tasks to run and **Start**`;
  const retitled = list.slice(list.lastIndexOf(added)).some((e) => e.event === 'renamed');
  const editedAt = await g.github.issueEditedAt(g.ref.issue);
  // Same second counts as after: GitHub's times have no finer grain, and doubt must not start.
  const bodyEdited =
    editedAt !== undefined &&
    (added.at === undefined || Date.parse(editedAt) >= Date.parse(added.at));
  const review = 'review the plan, tick the tasks to run and **Start**';
  if (retitled || bodyEdited)
    return `the issue's ${retitled && bodyEdited ? 'title and body were' : retitled ? 'title was' : 'body was'} edited after @${by.login} added the \`${label}\` label, and the label approves only the text as it was then; ${review}`;
  const { title, body } = g.session.facts.issue;
  if (g.session.state?.plannedTextHash !== issueTextHash(title, body))
    return `the plan was not made from the issue's text as it was when @${by.login} added the \`${label}\` label; ${review}`;
  return undefined;
}
