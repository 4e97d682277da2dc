import { describe, expect, it } from 'vitest';
import { GOAL_STATUSES } from '../../src/core/goal.js';
import { decideIssueGoal } from '../../src/core/issue-goal.js';

const facts = { issueOpen: true, labeled: true, relabeled: false, damaged: false };

describe('decideIssueGoal', () => {
  it('plans a new goal for a labeled open issue without one', () => {
    expect(decideIssueGoal(facts)).toEqual({ next: 'new-goal' });
    expect(decideIssueGoal({ ...facts, labeled: false })).toEqual({ next: 'none' });
  });

  it('stops a live goal whose issue was closed or unlabeled, and never a finished one', () => {
    for (const status of GOAL_STATUSES) {
      const live = !['done', 'cancelled', 'failed'].includes(status);
      expect(decideIssueGoal({ ...facts, status, issueOpen: false }).stop).toBe(
        live ? 'closed' : undefined,
      );
      expect(decideIssueGoal({ ...facts, status, labeled: false }).stop).toBe(
        live ? 'unlabeled' : undefined,
      );
    }
  });

  it('replaces a cancelled or failed goal only on a relabel, and never a done one', () => {
    expect(decideIssueGoal({ ...facts, status: 'cancelled' }).next).toBe('none');
    expect(decideIssueGoal({ ...facts, status: 'cancelled', relabeled: true }).next).toBe(
      'new-goal',
    );
    expect(decideIssueGoal({ ...facts, status: 'failed', relabeled: true }).next).toBe('new-goal');
    expect(decideIssueGoal({ ...facts, status: 'done', relabeled: true }).next).toBe('none');
    expect(decideIssueGoal({ ...facts, status: 'running', relabeled: true }).next).toBe('none');
  });

  it('reports a damaged state, and replaces it only when a person relabels', () => {
    expect(decideIssueGoal({ ...facts, damaged: true })).toEqual({ next: 'report-damage' });
    expect(decideIssueGoal({ ...facts, damaged: true, relabeled: true }).next).toBe('new-goal');
  });
});
