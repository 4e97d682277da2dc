import { describe, expect, it } from 'vitest';
import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent } from '../../src/core/events.js';
import { defaultGoalSettings, initGoal, type GoalState } from '../../src/core/goal.js';
import { knownRedLine } from '../../src/core/checklist/known-red.js';
import { owedEffects } from '../../src/core/owed-effects.js';
import { step, type StepResult } from '../../src/core/step.js';
import { plan, task } from '../support/plans.js';

type Sent = GoalEvent extends infer E
  ? E extends GoalEvent
    ? Omit<E, 'at'> & { at?: number }
    : never
  : never;

const MIN = 60_000;

/** A started goal of T1 and T2 (T2 after T1) on `base`, its branch made; nothing judged yet. */
function started() {
  let s: GoalState = initGoal({
    repo: 'o/r',
    issue: 7,
    title: 'Goal',
    at: 0,
    settings: { ...defaultGoalSettings, ci: { policy: 'required', timeoutMs: 30 * MIN } },
  });
  const g = {
    get s() {
      return s;
    },
    /** Apply an event at `at` (1 unless said); the result says whether it applied. */
    send(e: Sent): StepResult {
      const r = step(s, { ...e, at: e.at ?? 1 });
      s = r.state;
      return r;
    },
    of<T extends Effect['type']>(type: T) {
      return owedEffects(s, s.now).filter(
        (f): f is Extract<Effect, { type: T }> => f.type === type,
      );
    },
    /** T1 attempt 1 ran and succeeded, publishing `pub` on the base it was given. */
    t1Succeeded(pub = 'p1') {
      const baseSha = s.tasks.at(0)!.baseSha!;
      g.send({ type: 'task.dispatched', taskId: 'T1', attempt: 1, runId: 11 });
      g.send({
        type: 'task.finished',
        taskId: 'T1',
        attempt: 1,
        outcome: 'success',
        usage: { costUsd: 0 },
        published: { sha: pub, parent: baseSha },
      });
    },
  };
  g.send({ type: 'plan.proposed', plan: plan([task('T1'), task('T2', ['T1'])]), version: 1 });
  g.send({
    type: 'approvals.changed',
    actor: 'maint',
    planVersion: 1,
    changes: [
      { taskId: 'T1', approved: true },
      { taskId: 'T2', approved: true },
    ],
  });
  g.send({ type: 'start', baseSha: 'base', planVersion: 1, actor: 'maint' });
  g.send({ type: 'goal-branch.created' });
  return g;
}

describe('the base verdict', () => {
  it('is asked for once the goal starts; tasks run meanwhile, and nothing lands until it is green', () => {
    const g = started();
    expect(g.s.baseVerdict).toEqual({ sha: 'base', verdict: 'pending', since: 1 });
    expect(g.of('judge-base')).toEqual([
      { type: 'judge-base', key: 'judge-base:G7:@base', sha: 'base' },
    ]);
    expect(g.of('dispatch-task').map((f) => [f.taskId, f.baseSha])).toEqual([['T1', 'base']]);
    g.t1Succeeded();
    expect(g.s.tasks.at(0)!.status).toBe('landing');
    expect(g.of('land-task')).toEqual([]);

    g.send({ type: 'base.verdict', sha: 'base', verdict: 'green' });
    expect(g.s.baseVerdict?.verdict).toBe('green');
    expect(g.of('judge-base')).toEqual([]);
    expect(g.of('land-task')).toEqual([
      expect.objectContaining({ taskId: 'T1', sha: 'p1', baseSha: 'base' }),
    ]);
    // Read once per goal: a later verdict on the base changes nothing.
    expect(g.send({ type: 'base.verdict', sha: 'base', verdict: 'green' }).ignored?.code).toBe(
      'duplicate',
    );
  });

  it('ignores a verdict on another sha', () => {
    const g = started();
    const r = g.send({ type: 'base.verdict', sha: 'other', verdict: 'red', failedChecks: ['x'] });
    expect(r.ignored?.code).toBe('superseded');
    expect(g.s.baseVerdict?.verdict).toBe('pending');
  });

  it('pauses the goal on a red base, naming the checks, and lands and dispatches nothing', () => {
    const g = started();
    g.t1Succeeded();
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['lint', 'test'] });
    expect(g.s.status).toBe('paused');
    expect(g.s.pausedFor).toBe('base');
    expect(g.s.baseVerdict).toMatchObject({ verdict: 'red', failedChecks: ['lint', 'test'] });
    expect(g.s.note).toContain('The default branch is red');
    expect(g.s.note).toContain('lint, test');
    expect(g.s.note).toContain('`/gantry resume`');
    expect(g.of('land-task')).toEqual([]);
    expect(g.of('judge-base')).toEqual([]);
    // T1's task is not blamed: it waits to land.
    expect(g.s.tasks.at(0)!.status).toBe('landing');
    expect(g.s.failures ?? []).toEqual([]);
    // A red base holds new work too.
    expect(g.s.counts.running).toBe(0);
  });

  it('asks again on resume: still red pauses again, green lands', () => {
    const g = started();
    g.t1Succeeded();
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['test'] });
    g.send({ type: 'resume', actor: 'maint', baseSha: 'base', at: 5 });
    expect(g.s.status).toBe('running');
    expect(g.s.baseVerdict).toEqual({ sha: 'base', verdict: 'pending', since: 5 });
    expect(g.of('judge-base')).toEqual([expect.objectContaining({ sha: 'base' })]);
    expect(g.of('land-task')).toEqual([]);

    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['test'] });
    expect(g.s.pausedFor).toBe('base');
    g.send({ type: 'resume', actor: 'maint', at: 9 });
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'green' });
    expect(g.s.status).toBe('running');
    expect(g.of('land-task')).toEqual([expect.objectContaining({ taskId: 'T1' })]);
  });

  it('starts from the default branch head when it moved while the base was red', () => {
    const g = started();
    g.t1Succeeded();
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['test'] });
    g.send({ type: 'resume', actor: 'maint', baseSha: 'fixed', at: 5 });
    expect(g.s.baseVerdict).toEqual({ sha: 'fixed', verdict: 'pending', since: 5 });
    expect(g.s.lastGreen).toBe('fixed');
    expect(g.of('reset-goal-ref')).toEqual([
      expect.objectContaining({ branch: g.s.branch, fromSha: 'base', toSha: 'fixed' }),
    ]);
    expect(g.of('judge-base')).toEqual([expect.objectContaining({ sha: 'fixed' })]);
    expect(g.send({ type: 'base.verdict', sha: 'base', verdict: 'green' }).ignored?.code).toBe(
      'superseded',
    );
    g.send({ type: 'goal-ref.reset', fromSha: 'base' });
    g.send({ type: 'base.verdict', sha: 'fixed', verdict: 'green' });
    // T1, made on the old base, lands on the new one as a merge of exactly what it published.
    expect(g.of('land-task')).toEqual([
      expect.objectContaining({ taskId: 'T1', sha: 'p1', baseSha: 'base' }),
    ]);
  });

  it('goes on on a known-red base: only new failures are blamed, and a passed check judges from then on', () => {
    const g = started();
    g.t1Succeeded();
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['lint', 'test'] });
    g.send({ type: 'resume', actor: 'maint', baseSha: 'base', knownRed: true, at: 5 });
    expect(g.s.status).toBe('running');
    expect(g.s.baseVerdict).toMatchObject({ verdict: 'known-red', knownRed: ['lint', 'test'] });
    expect(g.of('judge-base')).toEqual([]);
    expect(knownRedLine(g.s)).toContain('Still red, so not judging landings: `lint`, `test`.');

    // T1 lands; CI fails only on `test`, red on the base too: the landing stands, and `lint`,
    // which passed, judges every landing from now on.
    const land = (sha: string) => {
      const f = g.of('land-task')[0]!;
      g.send({
        type: 'landing.result',
        taskId: f.taskId,
        attempt: f.attempt,
        landing: f.n,
        result: { kind: 'merged', sha },
      });
    };
    land('m1');
    g.send({ type: 'ci.verdict', sha: 'm1', verdict: 'red', failedChecks: ['test'] });
    expect(g.s.tasks.at(0)).toMatchObject({ status: 'done', landedSha: 'm1' });
    expect(g.s.lastGreen).toBe('m1');
    expect(g.s.baseVerdict?.knownRed).toEqual(['test']);
    expect(g.of('reset-goal-ref')).toEqual([]);

    // T2 breaks `lint` (and `test` stays red): it is blamed for `lint` only, and its candidate is
    // dropped; the goal branch never left the green m1.
    g.send({ type: 'task.dispatched', taskId: 'T2', attempt: 1, runId: 12 });
    g.send({
      type: 'task.finished',
      taskId: 'T2',
      attempt: 1,
      outcome: 'success',
      usage: { costUsd: 0 },
      published: { sha: 'p2', parent: 'm1' },
    });
    land('m2');
    g.send({ type: 'ci.verdict', sha: 'm2', verdict: 'red', failedChecks: ['lint', 'test'] });
    expect(g.s.tasks.at(1)!.status).not.toBe('done');
    expect(g.s.failures?.at(-1)).toMatchObject({ taskId: 'T2', reason: 'CI failed on m2: lint' });
    expect(g.of('reset-goal-ref')).toEqual([]);
    expect(g.s.lastGreen).toBe('m1');
    expect(g.s.queue).toEqual([]);
    expect(g.s.baseVerdict?.knownRed).toEqual(['test']);
  });

  it('drops a candidate excused for a known-red check that passed on one landed before it', () => {
    let s: GoalState = initGoal({
      repo: 'o/r',
      issue: 8,
      title: 'Goal',
      at: 0,
      settings: { ...defaultGoalSettings, ci: { policy: 'required', timeoutMs: 30 * MIN } },
    });
    const send = (e: Sent) => (s = step(s, { ...e, at: e.at ?? 1 }).state);
    const lands = () => owedEffects(s, s.now).filter((f) => f.type === 'land-task');
    send({ type: 'plan.proposed', plan: plan([task('T1'), task('T2')]), version: 1 });
    send({
      type: 'approvals.changed',
      actor: 'maint',
      planVersion: 1,
      changes: [
        { taskId: 'T1', approved: true },
        { taskId: 'T2', approved: true },
      ],
    });
    send({ type: 'start', baseSha: 'base', planVersion: 1, actor: 'maint' });
    send({ type: 'goal-branch.created' });
    send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['x'] });
    send({ type: 'resume', actor: 'maint', baseSha: 'base', knownRed: true, at: 2 });
    for (const [id, run] of [
      ['T1', 11],
      ['T2', 12],
    ] as const) {
      send({ type: 'task.dispatched', taskId: id, attempt: 1, runId: run });
      send({
        type: 'task.finished',
        taskId: id,
        attempt: 1,
        outcome: 'success',
        usage: { costUsd: 0 },
        published: { sha: `p-${id}`, parent: 'base' },
      });
    }
    // Both candidates are built, stacked: c1 (one task) and c2 on it (the other).
    const shas: Record<string, string> = {};
    for (let k = 0; k < 2; k++) {
      const f = lands()[0]!;
      shas[f.taskId] = `m-${f.taskId}`;
      send({
        type: 'landing.result',
        taskId: f.taskId,
        attempt: f.attempt,
        landing: f.n,
        result: { kind: 'merged', sha: shas[f.taskId]! },
      });
    }
    const [first, second] = s.queue.map((c) => c.members[0]!.task);
    const firstId = `T${first! + 1}`;
    const secondId = `T${second! + 1}`;
    // The second's verdict comes first: `x` still fails there, excused for now.
    send({ type: 'ci.verdict', sha: shas[secondId]!, verdict: 'red', failedChecks: ['x'] });
    expect(s.tasks.at(second!)!.status).toBe('validating');
    // The first passes `x`: it lands, and `x` judges from now on; the second broke it again.
    send({ type: 'ci.verdict', sha: shas[firstId]!, verdict: 'green' });
    expect(s.tasks.at(first!)!.status).toBe('done');
    expect(s.baseVerdict?.knownRed).toEqual([]);
    expect(s.tasks.at(second!)!.status).not.toBe('done');
    expect(s.failures?.at(-1)).toMatchObject({
      taskId: secondId,
      reason: expect.stringMatching(/: x$/),
    });
    expect(s.lastGreen).toBe(shas[firstId]);
  });

  it('blames a red verdict that names no check, and keeps the known-red checks', () => {
    const g = started();
    g.t1Succeeded();
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['test'] });
    g.send({ type: 'resume', actor: 'maint', baseSha: 'base', knownRed: true, at: 5 });
    const f = g.of('land-task')[0]!;
    g.send({
      type: 'landing.result',
      taskId: f.taskId,
      attempt: f.attempt,
      landing: f.n,
      result: { kind: 'merged', sha: 'm1' },
    });
    g.send({ type: 'ci.verdict', sha: 'm1', verdict: 'red', failedChecks: [] });
    expect(g.s.failures?.at(-1)).toMatchObject({ taskId: 'T1', reason: 'CI failed on m1' });
    // A landing that does not stand takes nothing off the known-red checks.
    expect(g.s.baseVerdict?.knownRed).toEqual(['test']);
    expect(knownRedLine(g.s)).toContain('Still red, so not judging landings: `test`.');
    const passed = { ...g.s, baseVerdict: { ...g.s.baseVerdict!, knownRed: [] } };
    expect(knownRedLine(passed)).toContain('They pass now, and judge every landing since.');
  });

  it('goes on known-red on its own base when the default branch moved, with the checks read now', () => {
    const g = started();
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['test'] });
    g.send({
      type: 'resume',
      actor: 'maint',
      baseSha: 'moved',
      knownRed: true,
      failedChecks: ['test', 'lint', 'test'],
      at: 5,
    });
    expect(g.s.baseVerdict).toMatchObject({
      sha: 'base',
      verdict: 'known-red',
      knownRed: ['test', 'lint'],
    });
    expect(g.s.lastGreen).toBe('base');
    expect(g.of('reset-goal-ref')).toEqual([]);
  });

  it('waits for every check before excusing, and narrows the known-red checks only on a landing that stands', () => {
    const g = started();
    g.t1Succeeded();
    g.send({ type: 'base.verdict', sha: 'base', verdict: 'red', failedChecks: ['a', 'b'] });
    g.send({ type: 'resume', actor: 'maint', baseSha: 'base', knownRed: true, at: 5 });
    const f = g.of('land-task')[0]!;
    g.send({
      type: 'landing.result',
      taskId: f.taskId,
      attempt: f.attempt,
      landing: f.n,
      result: { kind: 'merged', sha: 'm1' },
    });
    // `b` failed and `c` still runs: nothing is decided yet.
    const early = g.send({
      type: 'ci.verdict',
      sha: 'm1',
      verdict: 'red',
      failedChecks: ['b'],
      unfinished: 1,
    });
    expect(early.ignored?.code).toBe('not-due');
    expect(g.s.tasks.at(0)!.status).toBe('validating');
    expect(g.s.baseVerdict?.knownRed).toEqual(['a', 'b']);
    // `c` failed too: T1 is blamed for `c` alone, and `a` (passed on a dropped commit) stays known.
    g.send({ type: 'ci.verdict', sha: 'm1', verdict: 'red', failedChecks: ['b', 'c'] });
    expect(g.s.failures?.at(-1)).toMatchObject({ taskId: 'T1', reason: 'CI failed on m1: c' });
    expect(g.s.baseVerdict?.knownRed).toEqual(['a', 'b']);
  });

  it('lands without a verdict when no CI reports on the base within the time limit', () => {
    const g = started();
    g.t1Succeeded();
    expect(g.send({ type: 'tick', at: 30 * MIN }).ignored?.code).toBe('not-due');
    g.send({ type: 'tick', at: 30 * MIN + 1 });
    expect(g.s.baseVerdict?.verdict).toBe('none');
    expect(g.s.status).toBe('running');
    expect(g.s.note).toContain('No CI reported on the base');
    expect(g.of('land-task')).toEqual([expect.objectContaining({ taskId: 'T1' })]);
  });

  it('lands as before for a goal started before the base was judged', () => {
    const g = started();
    const legacy: GoalState = { ...g.s, baseVerdict: undefined };
    expect(owedEffects(legacy, 0).some((f) => f.type === 'judge-base')).toBe(false);
    const r = step(legacy, { type: 'task.dispatched', at: 2, taskId: 'T1', attempt: 1, runId: 3 });
    const done = step(r.state, {
      type: 'task.finished',
      at: 3,
      taskId: 'T1',
      attempt: 1,
      outcome: 'success',
      usage: { costUsd: 0 },
      published: { sha: 'p1', parent: 'base' },
    });
    expect(owedEffects(done.state, 3).some((f) => f.type === 'land-task')).toBe(true);
  });
});
