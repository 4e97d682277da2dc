import { unzipSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { isPlanCommentBody } from '../../src/core/checklist/superseded.js';
import { PlannerTransientError } from '../../src/planner/errors.js';
import type { KnowledgeRequest, PlanRequest } from '../../src/planner/planner.js';
import { scenario } from '../support/standin-scenario.js';

const LEARNED = 'greet() returns a string and never throws.';

describe('knowledge for every backend, kept for later goals; `/gantry plan`', () => {
  it('findings from a task whose backend reports none reach the next task and a later goal', async () => {
    const w = await scenario();
    const extract = w.planner.extractKnowledge.bind(w.planner);
    const asked: KnowledgeRequest[] = [];
    vi.spyOn(w.planner, 'extractKnowledge').mockImplementation(async (req) => {
      asked.push(req);
      // The planner fails for T3: it lands all the same, and is not asked again.
      if (req.task.id === 'T3') throw new PlannerTransientError('overloaded', 'overloaded');
      return extract(req);
    });
    await w.label();
    await w.settle();
    await w.tick(['T1', 'T2', 'T3', 'T4', 'Start']);
    await w.until();
    expect(w.state().status).toBe('done');

    // The agent (the command backend, as the default) reported nothing itself...
    const t1 = w.standIn.actions.runs.find((r) => r.inputs.task_id === 'T1')!;
    const result = unzipSync(t1.artifacts[0]!.zip)['gantry-result.json']!;
    expect(JSON.parse(new TextDecoder().decode(result))).toMatchObject({ findings: [] });
    // ...the planner was asked once per successful task, with the task's summary and diff...
    expect(asked.map((r) => r.task.id).sort()).toEqual(['T1', 'T2', 'T3', 'T4']);
    const first = asked.find((r) => r.task.id === 'T1')!;
    expect(first.diff).toContain('src/greet.js');
    expect(first.summary).toContain('Added src/greet.js');
    // ...and what it found went to the tasks after T1 as their knowledge input.
    const t2 = w.standIn.actions.runs.find((r) => r.inputs.task_id === 'T2')!;
    expect(JSON.parse(t2.inputs.knowledge!)).toEqual([
      { kind: 'decision', text: `[scripted] ${LEARNED}`, source: 'T1' },
    ]);
    expect(w.state().findings).toEqual([
      { kind: 'decision', text: `[scripted] ${LEARNED}`, source: 'T1' },
    ]);

    // The done goal's findings are kept for the repository, listed by number.
    await w.comment('/gantry knowledge');
    await w.settle();
    const listed = w.replies().at(-1)!.body;
    expect(listed).toMatch(/- `(\d+)` \*\*decision\*\* \[scripted\] greet\(\) returns/);
    expect(listed).toContain('(#1 T1)');
    const n = /- `(\d+)`/.exec(listed)![1]!;

    // A later goal, started by `/gantry plan <text>` on another issue: its planner is told.
    const plans: PlanRequest[] = [];
    const plan = w.planner.plan.bind(w.planner);
    vi.spyOn(w.planner, 'plan').mockImplementation((req) => {
      plans.push(req);
      return plan(req);
    });
    const later = w.another('Say goodbye', 'Add farewell(name).');
    await w.maint.rest.issues.createComment({
      ...later.where,
      body: '/gantry plan Keep the README short.\nAnd test it.',
    });
    await w.settle();
    expect(later.view.state()?.status).toBe('awaiting-approval');
    expect(later.issue.labels).toContain('gantry');
    expect(plans).toHaveLength(1);
    expect(plans[0]!.issue.body).toBe(
      'Add farewell(name).\n\n### Added by a maintainer\n\nKeep the README short.\nAnd test it.',
    );
    expect(plans[0]!.repo.knowledge).toEqual([
      expect.objectContaining({ text: `[scripted] ${LEARNED}`, source: '#1 T1' }),
    ]);

    // Pruned, it is no longer offered.
    await w.comment(`/gantry forget ${n}`);
    await w.settle();
    expect(w.replies().at(-1)!.body).toContain(`Gantry forgot finding ${n}`);
    await w.comment('/gantry knowledge');
    await w.settle();
    expect(w.replies().at(-1)!.body).toContain('Gantry keeps no findings for this repository yet');
    expect(w.standIn.problems()).toEqual([]);
  });

  it('`/gantry plan` from a write user starts a goal; from a read user it is refused', async () => {
    const w = await scenario();
    const reader = w.standIn.as('reader');
    const byApp = () => w.issue.comments.filter((c) => c.app?.id === w.standIn.app.id);
    const plans = () => byApp().filter((c) => isPlanCommentBody(c.body));

    await w.comment('/gantry plan', reader);
    await w.settle();
    expect(plans()).toEqual([]);
    expect(w.issue.labels).toEqual([]);
    expect(byApp().map((c) => c.body)).toEqual([
      expect.stringMatching(
        /^@reader: only people with write, maintain or admin access to this repository can run Gantry commands/,
      ),
    ]);

    await w.comment('/gantry plan');
    await w.settle();
    expect(plans()).toHaveLength(1);
    expect(w.state().status).toBe('awaiting-approval');
    expect(w.issue.labels).toEqual(['gantry', 'gantry:awaiting-approval']);

    // Asked again, on an issue that has a goal: a clear answer, and nothing planned twice.
    await w.comment('/gantry plan');
    await w.settle();
    expect(plans()).toHaveLength(1);
    expect(w.replies().at(-1)!.body).toMatch(
      /Nothing was planned: this issue already has a Gantry goal \(awaiting-approval, plan v1\)/,
    );

    // The goal it started runs as a labelled one does.
    await w.tick(['T1', 'T2', 'T3', 'T4', 'Start']);
    await w.until();
    expect(w.state().status).toBe('done');
    expect(w.standIn.problems()).toEqual([]);
  });
});
