import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GoalBranch, TaskBranch, slugify } from '../../src/core/names.js';

describe('branch names', () => {
  it('round-trip through parse and toString', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.string(),
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 99 }),
        (issue, title, task, attempt) => {
          const g = GoalBranch.forIssue(issue, title);
          expect(GoalBranch.parse(g.toString())).toEqual(g);
          const t = new TaskBranch(issue, `T${task}`, attempt);
          expect(TaskBranch.parse(t.toString())).toEqual(t);
        },
      ),
    );
  });

  it('slugs titles for branch names', () => {
    expect(GoalBranch.forIssue(42, 'Add OAuth login (GitHub & Google)!').toString()).toBe(
      'gantry/42-add-oauth-login-github-google',
    );
    expect(slugify('Ünïcödé  — only')).toBe('unicode-only');
    expect(slugify('!!!')).toBe('goal');
    expect(TaskBranch.parse('gantry/42/T3/0')).toBeUndefined();
    expect(GoalBranch.parse('feature/x')).toBeUndefined();
  });
});
