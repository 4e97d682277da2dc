import { describe, expect, it } from 'vitest';
import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent, LandingResult } from '../../src/core/events.js';
import { step } from '../../src/core/step.js';
import type { Plan } from '../../src/core/plan.js';
import * as ev from '../support/events.js';
import { HandGoal } from '../support/hand-goal.js';
import { diamond, plan, task } from '../support/plans.js';

/** A hand-driven goal: feed events, keep the effects, read task statuses by id. */
class Goal extends HandGoal {
  effects: Effect[] = [];
  private seen = new Set<string>();

  /** Apply an event; returns the effects the new state owes that were not owed before. */
  send(e: GoalEvent): Effect[] {
    const fresh = this.apply(e).filter((f) => !this.seen.has(f.key));
    for (const f of fresh) this.seen.add(f.key);
    this.effects.push(...fresh);
    return fresh;
  }

  started(p: Plan, approve = p.tasks.map((t) => t.id)) {
    this.send(ev.planProposed({ plan: p }));
    this.send(ev.approve(approve, { planVersion: this.state.planVersion }));
    const fx = this.send(ev.start({ planVersion: this.state.planVersion }));
    // The base is green: landing goes on as soon as a task is in.
    this.send(ev.baseGreen());
    return fx;
  }

  finish(
    taskId: string,
    outcome: ev.EventOf<'task.finished'>['outcome'] = 'success',
    attempt = 1,
    costUsd = 0.1,
  ) {
    return this.send(ev.taskFinished({ taskId, attempt, outcome, usage: { costUsd } }));
  }

  /** What the shell does: answer the latest land-task effect of the task with its result. */
  landed(taskId: string, result: LandingResult, attempt = 1) {
    const land = ofType(this.effects, 'land-task')
      .filter((f) => f.taskId === taskId)
      .at(-1);
    return this.send(ev.landingResult({ taskId, attempt, landing: land?.n ?? -1, result }));
  }

  merged(taskId: string, sha: string, attempt = 1) {
    return this.landed(taskId, { kind: 'merged', sha }, attempt);
  }

  green(sha: string) {
    return this.send(ev.ciGreen({ sha }));
  }

  /** A red verdict on a candidate: it never reached the goal branch, so nothing is reset. */
  red(sha: string) {
    return this.send(ev.ciRed({ sha, failedChecks: ['test'] }));
  }
}

const ofType = <T extends Effect['type']>(fx: Effect[], type: T) =>
  fx.filter((f): f is Extract<Effect, { type: T }> => f.type === type);

describe('goal reducer', () => {
  it('runs a diamond from approval to done, landing one task at a time', () => {
    const g = new Goal();
    const start = g.started(diamond());
    expect(ofType(start, 'create-goal-branch')).toEqual([
      expect.objectContaining({ branch: 'gantry/42-add-a-feature', sha: 'base' }),
    ]);
    expect(ofType(start, 'dispatch-task').map((f) => [f.taskId, f.attempt, f.baseSha])).toEqual([
      ['T1', 1, 'base'],
    ]);
    expect(g.state.labels).toEqual(['gantry:running']);
    g.send({ type: 'goal-branch.created', at: 0, sha: 'base' });

    g.finish('T1');
    expect(g.status('T1')).toBe('landing');
    const land = ofType(g.effects, 'land-task').at(-1)!;
    expect(land).toMatchObject({
      taskId: 'T1',
      branch: 'gantry/42/T1/1',
      // A candidate of its own, made at the queue's tip: the goal branch waits for CI.
      into: 'gantry/42/queue/1',
      onto: 'base',
    });
    const merged = g.merged('T1', 's1');
    expect(ofType(merged, 'open-draft-pr')).toEqual([]);
    expect(g.status('T1')).toBe('validating');
    // T2 and T3 wait for T1's CI verdict, then run in parallel on the validated sha.
    expect(ofType(g.effects, 'dispatch-task')).toHaveLength(1);
    const afterGreen = g.green('s1');
    // Green: the goal branch fast-forwards there, and the draft pull request opens.
    expect(ofType(afterGreen, 'advance-goal-ref')).toEqual([
      expect.objectContaining({ toSha: 's1', fromSha: 'base' }),
    ]);
    expect(ofType(afterGreen, 'open-draft-pr')).toHaveLength(1);
    g.send(ev.prOpened({ number: 7 }));
    expect(ofType(afterGreen, 'dispatch-task').map((f) => [f.taskId, f.baseSha])).toEqual([
      ['T2', 's1'],
      ['T3', 's1'],
    ]);

    g.finish('T2');
    g.finish('T3');
    expect(ofType(g.effects, 'land-task').map((f) => f.taskId)).toEqual(['T1', 'T2']);
    g.merged('T2', 's2');
    g.green('s2');
    g.merged('T3', 's3');
    g.green('s3');
    const last = ofType(g.effects, 'dispatch-task').at(-1)!;
    expect(last).toMatchObject({ taskId: 'T4', baseSha: 's3' });
    g.finish('T4');
    g.merged('T4', 's4');
    const end = g.green('s4');
    expect(g.state.status).toBe('done');
    expect(ofType(end, 'mark-pr-ready')).toEqual([expect.objectContaining({ number: 7 })]);
    expect(ofType(end, 'set-labels').at(-1)!.labels).toEqual(['gantry:done']);
    expect(g.ignored).toEqual([]);
  });

  it('excludes unticked tasks at Start and blocks their dependents while other branches go on', () => {
    const g = new Goal();
    g.started(diamond(), ['T1', 'T3', 'T4']);
    expect(g.status('T2')).toBe('excluded');
    expect(g.status('T4')).toBe('blocked');
    g.finish('T1');
    g.merged('T1', 's1');
    g.green('s1');
    expect(g.status('T3')).toBe('running');
    g.finish('T3');
    g.merged('T3', 's3');
    g.green('s3');
    expect(g.state.status).toBe('partial');
    expect(g.state.note).toMatch(/T4 blocked: waits for T2/);
    expect(g.state.labels).toEqual(['gantry:needs-human']);
  });

  it('refuses to start with nothing approved, and says why', () => {
    const g = new Goal();
    g.send(ev.planProposed({ plan: diamond() }));
    g.send(ev.start());
    expect(g.state.status).toBe('awaiting-approval');
    expect(g.ignored).toEqual(['no task is approved: tick at least one task before Start']);
  });

  it('drops a red candidate without touching the goal branch, then asks for recovery', () => {
    const g = new Goal();
    g.started(plan([task('T1'), task('T2')]));
    g.finish('T1');
    g.finish('T2');
    g.merged('T1', 's1');
    const fx = g.red('s1');
    expect(ofType(fx, 'reset-goal-ref')).toEqual([]);
    expect(ofType(fx, 'advance-goal-ref')).toEqual([]);
    expect(ofType(fx, 'ask-recovery')[0]).toMatchObject({
      taskId: 'T1',
      attempt: 1,
      failure: { kind: 'ci', failedChecks: ['test'] },
    });
    expect(ofType(fx, 'land-task')[0]).toMatchObject({ taskId: 'T2', onto: 'base' });
    expect(g.state.goalHead).toBe('base');
    // Retry on the validated head with the guidance.
    const retry = g.send(
      ev.recoveryProposed({
        taskId: 'T1',
        rootCause: 'a test broke',
        action: { kind: 'retry', guidance: 'fix the test' },
      }),
    );
    expect(ofType(retry, 'dispatch-task')[0]).toMatchObject({
      taskId: 'T1',
      attempt: 2,
      baseSha: 'base',
      guidance: expect.stringContaining('fix the test'),
    });
  });

  it('bounds retries per task, then asks a human and mentions the approver', () => {
    const g = new Goal({ maxAttempts: 2 });
    g.started(plan([task('T1'), task('T2', ['T1']), task('T3')]));
    g.finish('T1', 'failure');
    g.send(ev.recoveryProposed({ taskId: 'T1', action: { kind: 'retry', guidance: 'again' } }));
    const fx = g.finish('T1', 'failure', 2);
    expect(ofType(fx, 'ask-recovery')).toEqual([]);
    expect(ofType(fx, 'escalate')[0]).toMatchObject({ taskId: 'T1', mention: 'maint' });
    expect(g.status('T1')).toBe('needs-human');
    expect(g.status('T2')).toBe('blocked');
    expect(g.state.labels).toEqual(['gantry:running', 'gantry:needs-human']);
    // The independent branch goes on.
    g.finish('T3');
    g.merged('T3', 's3');
    g.green('s3');
    expect(g.state.status).toBe('partial');
    // A human retry gives one more attempt and unblocks dependents once it is done.
    g.send(ev.taskRetry({ taskId: 'T1' }));
    expect(g.state.status).toBe('running');
    expect(g.status('T1')).toBe('running');
    expect(g.status('T2')).toBe('queued');
  });

  it('injects recovery tasks validated with the DAG, and refuses ones that would make a cycle', () => {
    const g = new Goal();
    g.started(plan([task('T1'), task('T2', ['T1'])]));
    g.finish('T1', 'failure');
    g.send(
      ev.recoveryProposed({
        taskId: 'T1',
        rootCause: 'missing helper',
        action: { kind: 'inject', tasks: [task('T3')] },
      }),
    );
    expect(g.state.plan!.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T3']);
    expect(g.state.plan!.tasks[0]!.dependsOn).toEqual(['T3']);
    // Recovery's tasks, and the task whose dependencies they changed, wait for ticks.
    expect([g.status('T3'), g.status('T1')]).toEqual(['proposed', 'proposed']);
    g.send(ev.approve(['T3', 'T1']));
    expect(g.status('T3')).toBe('running');
    expect(g.status('T1')).toBe('retrying');

    const h = new Goal();
    h.started(plan([task('T1'), task('T2', ['T1'])]));
    h.finish('T1', 'failure');
    const fx = h.send(
      ev.recoveryProposed({
        taskId: 'T1',
        action: { kind: 'inject', tasks: [task('T3', ['T2'])] },
      }),
    );
    expect(h.status('T1')).toBe('needs-human');
    expect(ofType(fx, 'escalate')[0]!.question).toMatch(/do not fit the plan/);
    expect(h.state.tasks.at(0)!.reason).toMatch(/cycle: T1 -> T3 -> T2 -> T1/);
  });

  it('retries a landing conflict on the new head with the conflicting paths', () => {
    const g = new Goal();
    g.started(plan([task('T1')]));
    g.finish('T1');
    const fx = g.landed('T1', { kind: 'conflict', paths: ['src/a.ts', 'src/b.ts'] });
    expect(ofType(fx, 'dispatch-task')[0]).toMatchObject({
      attempt: 2,
      guidance: expect.stringContaining('src/a.ts, src/b.ts'),
    });
  });

  it('treats nothing-to-merge as done only when the criteria passed', () => {
    const g = new Goal();
    g.started(plan([task('T1'), task('T2')]));
    g.finish('T1');
    g.finish('T2');
    g.landed('T1', { kind: 'nothing-to-merge', criteriaPassed: true });
    expect(g.status('T1')).toBe('done');
    const fx = g.landed('T2', { kind: 'nothing-to-merge', criteriaPassed: false });
    expect(ofType(fx, 'ask-recovery')[0]).toMatchObject({
      taskId: 'T2',
      failure: { kind: 'no-change' },
    });
  });

  it('ignores stale events with a reason and leaves the state untouched', () => {
    const g = new Goal();
    g.started(plan([task('T1')]));
    g.finish('T1', 'failure');
    g.send(ev.recoveryProposed({ taskId: 'T1', action: { kind: 'retry', guidance: 'g' } }));
    const before = g.state;
    const r = step(before, ev.taskFinished({ taskId: 'T1', at: 99, usage: { costUsd: 1 } }));
    expect(r.state).toBe(before);
    expect(r.ignored?.message).toBe('T1 attempt 1 is superseded by attempt 2');
    g.finish('T1', 'success', 2);
    g.merged('T1', 's1', 2);
    expect(step(g.state, ev.ciGreen({ sha: 'old', at: 100 })).ignored?.message).toBe(
      'no candidate in the queue is old (dropped, or landed)',
    );
  });

  it('pauses when the budget cannot be reserved and resumes when it is raised', () => {
    const g = new Goal({
      budget: { goalUsd: 1, taskUsd: 5, tierUsd: { small: 0.6, medium: 2, large: 5 } },
    });
    g.started(plan([task('T1'), task('T2')]));
    expect(g.status('T1')).toBe('running');
    expect(g.status('T2')).toBe('queued');
    g.finish('T1', 'success', 1, 0.6);
    expect(g.state.status).toBe('paused');
    expect(g.state.pausedFor).toBe('budget');
    expect(g.state.note).toMatch(/budget\.goalUsd/);
    // Landing goes on while paused: finished work is not held back.
    expect(ofType(g.effects, 'land-task')).toHaveLength(1);
    const fx = g.send(ev.budgetChanged({ goalUsd: 5 }));
    expect(ofType(fx, 'dispatch-task')[0]).toMatchObject({ taskId: 'T2', budgetUsd: 0.6 });
    expect(g.state.status).toBe('running');
  });

  it('stops dispatching while the breaker is open and allows one trial when half-open', () => {
    const g = new Goal({ maxParallel: 3 });
    g.send(ev.breakerChanged({ gate: 'open' }));
    g.started(plan([task('T1'), task('T2'), task('T3')]));
    expect(ofType(g.effects, 'dispatch-task')).toEqual([]);
    expect(g.state.pausedFor).toBe('breaker');
    const fx = g.send(ev.breakerChanged({ gate: 'half-open' }));
    expect(ofType(fx, 'dispatch-task')).toHaveLength(1);
    const closed = g.send(ev.breakerChanged({ gate: 'closed' }));
    expect(ofType(closed, 'dispatch-task')).toHaveLength(2);
  });

  it('cancels running runs, and counts their cost when they report', () => {
    const g = new Goal();
    g.started(plan([task('T1'), task('T2')]));
    g.send(ev.taskDispatched({ taskId: 'T1', runId: 7 }));
    const fx = g.send(ev.cancel());
    expect(ofType(fx, 'cancel-run')).toEqual([expect.objectContaining({ taskId: 'T1', runId: 7 })]);
    expect(g.state.status).toBe('cancelled');
    expect(g.state.labels).toEqual([]);
    // The runs were going: their reservations stay until they report what they spent.
    expect(g.state.budget.reservedMicros).toBe(1_000_000);
    // T2 had not reported its run id yet: when it does, that run is cancelled too.
    const late = g.send(ev.taskDispatched({ taskId: 'T2', runId: 8 }));
    expect(ofType(late, 'cancel-run')).toEqual([
      expect.objectContaining({ taskId: 'T2', runId: 8 }),
    ]);
    g.finish('T1', 'failure', 1, 0.3);
    g.finish('T2', 'failure', 1, 0.1);
    expect(g.state.budget).toMatchObject({ reservedMicros: 0, spentMicros: 400_000 });
    expect(g.ignored).toEqual([]);
  });

  it('ignores a late copy of a landing result once the task re-lands after a red batch', () => {
    const g = new Goal({ landingBatch: 2 });
    g.started(plan([task('T1'), task('T2'), task('T3')]));
    g.finish('T1');
    g.finish('T2');
    g.finish('T3');
    g.merged('T1', 's1');
    g.green('s1');
    const firstT2 = ofType(g.effects, 'land-task').filter((f) => f.taskId === 'T2')[0]!;
    g.merged('T2', 's2');
    g.merged('T3', 's3');
    g.red('s3');
    // T2 re-lands alone; a delayed copy of its first merge result must not be taken for it.
    const stale = step(
      g.state,
      ev.landingResult({
        taskId: 'T2',
        at: 999,
        landing: firstT2.n,
        result: { kind: 'merged', sha: 's2' },
      }),
    );
    expect(stale.ignored?.message).toMatch(/is not the merge in progress/);
    g.merged('T2', 's4');
    expect(g.state.queue.map((c) => c.sha)).toContain('s4');
  });

  it('holds a conflict retry inside a batch until CI judged the batch, then starts from its result', () => {
    const g = new Goal({ landingBatch: 2 });
    g.started(plan([task('T1'), task('T2'), task('T3')]));
    g.finish('T1');
    g.finish('T2');
    g.finish('T3');
    g.merged('T1', 's1');
    g.green('s1');
    g.merged('T2', 's2');
    const fx = g.landed('T3', { kind: 'conflict', paths: ['src/x.ts'] });
    expect(ofType(fx, 'dispatch-task')).toEqual([]);
    expect(g.status('T3')).toBe('retrying');
    const after = g.green('s2');
    expect(ofType(after, 'dispatch-task')).toEqual([
      expect.objectContaining({
        taskId: 'T3',
        attempt: 2,
        baseSha: 's2',
        guidance: expect.stringContaining('src/x.ts'),
      }),
    ]);
  });

  it('mentions the person who started the goal when a task had no human approver', () => {
    const g = new Goal({ approval: 'auto', maxAttempts: 1 });
    g.send(ev.planProposed({ plan: plan([task('T1')]) }));
    g.send(ev.start({ actor: 'labeler' }));
    const fx = g.finish('T1', 'failure');
    expect(ofType(fx, 'escalate')[0]!.mention).toBe('labeler');
    expect(g.state.tasks.at(0)!.approvedBy).toBeUndefined();
  });

  it('ignores ticks and Start made on an older plan version', () => {
    const g = new Goal();
    g.send(ev.planProposed({ plan: diamond() }));
    g.send(ev.replanRequested({ feedback: 'smaller' }));
    g.send(
      ev.planProposed({ plan: plan([task('T1', [], { title: 'Something else' })]), version: 2 }),
    );
    const r = step(g.state, ev.approve(['T1'], { at: 50, planVersion: 1 }));
    expect(r.ignored?.message).toBe('the ticks are on plan version 1, not the current version 2');
    expect(
      step(g.state, ev.start({ at: 51, planVersion: 1, baseSha: 'b' })).ignored?.message,
    ).toMatch(/plan version 1/);
  });

  it('blocks the failed task too when a task injected for it waits on a dead task', () => {
    const k = new Goal({ maxAttempts: 2 });
    k.started(plan([task('T1'), task('T2')]), ['T2']);
    // T1 is excluded (dead); T2 fails and recovery injects T3, which needs T1.
    k.finish('T2', 'failure');
    k.send(
      ev.recoveryProposed({
        taskId: 'T2',
        rootCause: 'needs T1 first',
        action: { kind: 'inject', tasks: [task('T3', ['T1'])] },
      }),
    );
    k.send(ev.approve(['T3', 'T2']));
    expect(k.status('T3')).toBe('blocked');
    expect(k.status('T2')).toBe('blocked');
    expect(k.state.status).toBe('partial');
  });

  it('follows the CI policy when no verdict comes in time', () => {
    const required = new Goal({ ci: { policy: 'required', timeoutMs: 1000 } });
    required.started(plan([task('T1')]));
    required.finish('T1');
    required.merged('T1', 's1');
    required.t = 5000;
    required.send(ev.tick());
    expect(required.status('T1')).toBe('validating');
    expect(required.state.note).toMatch(/CI is required/);

    const optional = new Goal({ ci: { policy: 'optional', timeoutMs: 1000 } });
    optional.started(plan([task('T1')]));
    optional.finish('T1');
    optional.merged('T1', 's1');
    optional.t = 5000;
    optional.send(ev.tick());
    expect(optional.status('T1')).toBe('done');
    expect(optional.state.status).toBe('done');
  });

  it('lands a batch with one CI run, and re-lands members alone after a red batch', () => {
    const g = new Goal({ landingBatch: 2 });
    g.started(plan([task('T1'), task('T2'), task('T3')]));
    g.finish('T1');
    g.finish('T2');
    g.finish('T3');
    // T1 started landing alone (nothing else was queued then); T2 and T3 form the next batch.
    g.merged('T1', 's1');
    g.green('s1');
    expect(ofType(g.effects, 'land-task').map((f) => f.taskId)).toEqual(['T1', 'T2']);
    g.merged('T2', 's2');
    expect(ofType(g.effects, 'land-task').at(-1)!.taskId).toBe('T3');
    g.merged('T3', 's3');
    // s2 is a step inside the batch's candidate s3, not a candidate.
    expect(step(g.state, ev.ciGreen({ sha: 's2', at: 1e6 })).ignored?.message).toMatch(
      /no candidate in the queue is s2/,
    );
    const fx = g.red('s3');
    expect(ofType(fx, 'reset-goal-ref')).toEqual([]);
    expect(ofType(fx, 'land-task')[0]).toMatchObject({ onto: 's1' });
    expect(ofType(fx, 'ask-recovery')).toEqual([]);
    expect(ofType(fx, 'land-task').map((f) => f.taskId)).toEqual(['T2']);
    g.merged('T2', 's4');
    g.green('s4');
    g.merged('T3', 's5');
    const last = g.red('s5');
    expect(ofType(last, 'ask-recovery')[0]).toMatchObject({ taskId: 'T3' });
    expect(g.status('T2')).toBe('done');
  });

  it('records every transition with time and actor', () => {
    const g = new Goal();
    g.send(ev.planProposed({ plan: diamond() }));
    const r = step(g.state, ev.approve(['T2'], { at: 5, actor: 'alice' }));
    expect(r.audit).toEqual([
      {
        at: 5,
        actor: 'alice',
        event: 'approvals.changed',
        subject: 'T2',
        from: 'proposed',
        to: 'approved',
      },
    ]);
    expect(r.state.tasks.at(1)!.approvedBy).toBe('alice');
  });

  it('takes edited task text while awaiting approval, but not an invalid edit', () => {
    const g = new Goal();
    g.send(ev.planProposed({ plan: diamond() }));
    g.send(
      ev.approvalsChanged({
        changes: [],
        edits: [{ taskId: 'T2', title: 'Better title', description: 'More detail' }],
      }),
    );
    expect(g.state.plan!.tasks[1]).toMatchObject({
      title: 'Better title',
      description: 'More detail',
    });
    const r = step(
      g.state,
      ev.approvalsChanged({ at: 50, changes: [], edits: [{ taskId: 'T2', title: '' }] }),
    );
    expect(r.ignored?.code).toBe('invalid-plan');
    expect(r.ignored?.message).toBe(
      'the edit was not taken, the plan is kept as it was: T2.title: Too small: expected string to have >=1 characters',
    );
  });
});

describe('what the goal records for its account', () => {
  it('charges planner calls to the budget, and ignores a call that cost nothing', () => {
    const g = new Goal();
    g.started(diamond());
    const before = g.state.budget.spentMicros;
    g.send(ev.llmCharged({ operation: 'recover', costUsd: 0.042 }));
    expect(g.state.budget.spentMicros).toBe(before + 42_000);
    expect(g.state.plannerMicros).toBe(42_000);
    g.send(ev.llmCharged({ operation: 'review', costUsd: 0 }));
    expect(g.ignored.at(-1)).toBe('nothing to charge for review');
  });

  it('keeps the findings of successful and partial attempts, from their task, without duplicates', () => {
    const g = new Goal();
    g.started(diamond());
    const found = { kind: 'gotcha', text: 'ESM needs .js suffixes.' } as const;
    g.send(
      ev.taskFinished({
        taskId: 'T1',
        findings: [found, { kind: 'gotcha', text: 'esm needs .JS suffixes' }],
      }),
    );
    expect(g.state.findings).toEqual([{ ...found, source: 'T1' }]);
    expect(g.state.tasks.at(0)!.ranMs).toBe(g.t - 3); // dispatched at Start (t = 3)
  });

  it('records who approved each task and when', () => {
    const g = new Goal();
    g.send(ev.planProposed({ plan: diamond() }));
    g.send(ev.approve(['T1']));
    expect(g.state.tasks.at(0)).toMatchObject({ approvedBy: 'maint', approvedAt: g.t });
  });
});
