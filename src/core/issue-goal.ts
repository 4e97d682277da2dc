import { createHash } from 'node:crypto';
import { isLive, isRestartable, type GoalStatus } from './goal.js';

/** What the issue's facts mean for its goal. */
export interface IssueGoalFacts {
  /** The goal's status, when the issue has a trusted goal. */
  status?: GoalStatus | undefined;
  issueOpen: boolean;
  /** The issue carries the trigger label. */
  labeled: boolean;
  /** A webhook says the trigger label was just added. */
  relabeled: boolean;
  /** The plan comment's state cannot be trusted and no good copy was found. */
  damaged: boolean;
}

export interface IssueGoalDecision {
  /** Cancel the live goal: its issue was closed or lost its label. */
  stop?: 'closed' | 'unlabeled' | undefined;
  /**
   * `new-goal`: plan a new goal (there is none, or a relabel replaces a finished one; a damaged
   * state is replaced only on an explicit relabel). `report-damage`: say the state cannot be
   * restored. `none`: leave the goal as it is.
   */
  next: 'new-goal' | 'report-damage' | 'none';
}

/** Start, replace, stop or keep the issue's goal: the decision, free of how facts are read. */
export function decideIssueGoal(f: IssueGoalFacts): IssueGoalDecision {
  const stop = isLive(f.status) && (!f.issueOpen || !f.labeled);
  const wanted = f.issueOpen && f.labeled;
  const replace = f.status === undefined || (f.relabeled && isRestartable(f.status));
  const next =
    wanted && replace && (f.relabeled || !f.damaged)
      ? 'new-goal'
      : f.damaged
        ? 'report-damage'
        : 'none';
  return { ...(stop ? { stop: f.issueOpen ? 'unlabeled' : 'closed' } : {}), next };
}

/**
 * A hash of the issue's text (title and body) exactly as given: what auto-approval binds to. A
 * plan made from a text whose hash differs was not the text a writer approved with the label.
 */
export function issueTextHash(title: string, body: string): string {
  return createHash('sha256')
    .update(JSON.stringify([title, body]))
    .digest('hex');
}
