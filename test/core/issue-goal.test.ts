import { describe, expect, it } from 'vitest';
import { GOAL_STATUSES, initGoal } from '../../src/core/goal.js';
import { decideIssueGoal, issueTextHash } from '../../src/core/issue-goal.js';
import { step } from '../../src/core/step.js';
import { planProposed, replanRequested } from '../support/events.js';
import { diamond } from '../support/plans.js';

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

describe('issueTextHash', () => {
  it('changes with any change of title or body, and tells the two apart', () => {
    const h = issueTextHash('Add rate limiting', 'Limit clients.');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(issueTextHash('Add rate limiting', 'Limit clients.')).toBe(h);
    expect(issueTextHash('Add rate limiting', 'Limit clients. ')).not.toBe(h);
    expect(issueTextHash('Add rate limiting ', 'Limit clients.')).not.toBe(h);
    // Text moved between title and body is another text.
    expect(issueTextHash('ab', 'c')).not.toBe(issueTextHash('a', 'bc'));
  });
});

describe('what planning an issue has cost', () => {
  const goal = () => initGoal({ repo: 'o/r', issue: 1, title: 't', at: 0 });
  const charged = (operation: string, costUsd: number) =>
    ({ type: 'llm.charged', at: 1, operation, costUsd }) as const;

  it('counts plan and replan calls, not recoveries or reviews; all of them are spent', () => {
    let s = goal();
    for (const e of [
      charged('plan', 1),
      charged('replan', 0.5),
      charged('recover', 2),
      charged('review', 3),
    ])
      s = step(s, e).state;
    expect(s.budget.issuePlanningMicros).toBe(1_500_000);
    expect(s.budget.spentMicros).toBe(6_500_000);
  });

  it('records the text the plan was made from', () => {
    const s = step(goal(), planProposed({ plan: diamond(), textHash: 'abc' })).state;
    expect(s.plannedTextHash).toBe('abc');
    const again = step(s, replanRequested()).state;
    expect(
      step(again, { ...planProposed({ plan: diamond(), version: 2 }), type: 'plan.replaced' }).state
        .plannedTextHash,
    ).toBeUndefined();
  });
});
