import {
  defaultGoalSettings,
  owesWork,
  type GoalSettings,
  type GoalState,
  type LandingMember,
  type TaskRun,
} from './goal.js';
import { PersistentList } from './persistent-list.js';
import { taskDefinitionHash } from './task-definition.js';

/**
 * Goal states read back from JSON, including those written by earlier versions of Gantry: each
 * older shape is brought to today's once, here, so the rest of the core knows only one.
 */

/** A goal state as JSON holds it: the task list is a plain array. */
export type GoalStateJson = Omit<GoalState, 'tasks'> & { tasks: readonly TaskRun[] };

/**
 * A goal state read back from JSON (the signed comment): its task list becomes a `PersistentList`
 * again, and the index of tasks that owe outside work is rebuilt, never trusted (another version
 * of the App may have changed the tasks without keeping it).
 */
export function reviveState(raw: GoalStateJson): GoalState {
  const bound = (raw.settings as Partial<GoalSettings>).recovery ? raw : bindEarlierApprovals(raw);
  const json = (bound as Partial<GoalStateJson>).queue ? bound : fromSerialLanding(bound);
  const tasks = PersistentList.from(json.tasks);
  return { ...json, tasks, outstanding: tasks.flatMap((t, i) => (owesWork(t) ? [i] : [])) };
}

/**
 * A state written before approvals were bound to a definition (its settings have no `recovery`).
 * Ticks of a goal not started lose their force (they did not survive edits then): the tasks are
 * asked for again. Tasks past Start were approved under the earlier rules and keep going, bound
 * to their definitions as they are now.
 */
function bindEarlierApprovals(raw: GoalStateJson): GoalStateJson {
  const counts = { ...raw.counts };
  const unapproved = new Set<number>();
  const tasks = raw.tasks.map((t, i): TaskRun => {
    const spec = raw.plan?.tasks[i];
    if (!spec || t.approvedHash !== undefined || t.status === 'proposed' || t.status === 'excluded')
      return t;
    // Queued or blocked and never run, with nobody's name on it under a policy that needs ticks:
    // the earlier recovery added it approved. It waits for a person like any recovery task now.
    const injected =
      (t.status === 'queued' || t.status === 'blocked') &&
      t.attempt === 0 &&
      t.approvedBy === undefined &&
      raw.settings.approval !== 'auto';
    if (t.status !== 'approved' && !injected)
      return { ...t, approvedHash: taskDefinitionHash(spec), approvedVia: 'earlier-version' };
    counts[t.status] -= 1;
    counts.proposed += 1;
    unapproved.add(i);
    return {
      ...t,
      status: 'proposed',
      approvedBy: undefined,
      approvedAt: undefined,
      ...(injected
        ? { reason: 'awaiting approval: added by recovery before approvals were bound' }
        : {}),
    };
  });
  return {
    ...raw,
    settings: { ...raw.settings, recovery: { ...defaultGoalSettings.recovery } },
    counts,
    tasks,
    ready: raw.ready.filter((i) => !unapproved.has(i)),
  };
}

/**
 * A state written when landing was serialized (a `landing` and no queue): what it merged onto the
 * goal branch and CI had not judged is taken back (a forced reset to the last green sha, the
 * one case left) and those tasks land again, first, as candidates.
 */
function fromSerialLanding(raw: GoalStateJson): GoalStateJson {
  const { landing, ...rest } = raw as GoalStateJson & {
    landing?: { members: LandingMember[] } | undefined;
  };
  const counts = { ...raw.counts };
  const again: number[] = [];
  const tasks = raw.tasks.map((t, i): TaskRun => {
    const member = landing?.members.find((m) => m.task === i && m.attempt === t.attempt);
    if (!member || (t.status !== 'landing' && t.status !== 'validating')) return t;
    again.push(i);
    counts[t.status] -= 1;
    counts.landing += 1;
    return { ...t, status: 'landing', landedSha: undefined };
  });
  const unjudged = raw.branchCreated && raw.goalHead !== raw.lastGreen && !raw.resetPending;
  return {
    ...rest,
    tasks,
    counts,
    queue: [],
    landQueue: [
      ...again.map((task) => ({ task, solo: false, pinned: true })),
      ...raw.landQueue.filter((e) => !again.includes(e.task)),
    ],
    ...(unjudged && raw.goalHead && raw.lastGreen
      ? { resetPending: { toSha: raw.lastGreen, fromSha: raw.goalHead } }
      : {}),
  };
}
