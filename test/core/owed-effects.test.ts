import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outstandingOf } from '../../src/core/draft.js';
import { EffectKey, effectKey, type EffectKind } from '../../src/core/effect-key.js';
import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent } from '../../src/core/events.js';
import {
  defaultGoalSettings,
  initGoal,
  owesWork,
  type GoalSettings,
  type GoalState,
} from '../../src/core/goal.js';
import { reviveState, type GoalStateJson } from '../../src/core/revive-state.js';
import { LOST_DISPATCH_MS, owedEffects } from '../../src/core/owed-effects.js';
import { step } from '../../src/core/step.js';
import { simulate, type SimulationOptions } from '../../src/sim/simulate.js';
import type { Plan } from '../../src/core/plan.js';
import { arbPlan, diamond, plan, task } from '../support/plans.js';
import { chance } from '../support/chance.js';

const BEYOND_GITHUB_VIEW = (e: Effect) =>
  e.type !== 'set-labels' && e.type !== 'update-plan-comment';

/** A random world for the simulator: agents and CI fail now and then, recovery escalates. */
const arbSim = fc.record({
  plan: arbPlan({ maxTasks: 8 }),
  seed: fc.nat(),
  fail: fc.constantFrom(0, 0.3),
  red: fc.constantFrom(0, 0.3),
  escalate: fc.boolean(),
});

type SimWorld = typeof arbSim extends fc.Arbitrary<infer W> ? W : never;

/** The simulator in world `w`: runs of random length, agents and CI failing at its rates. */
const run = (w: SimWorld, extra: Partial<SimulationOptions> = {}) =>
  simulate({
    plan: w.plan,
    taskMs: (id, a) => 1000 + 1000 * Math.floor(chance(w.seed, `t${id}${a}`) * 9),
    ciMs: 500,
    agentOutcome: (id, a) => (chance(w.seed, `a${id}${a}`) < w.fail ? 'failure' : 'success'),
    ciRed: (sha) => chance(w.seed, sha) < w.red,
    recovery: () =>
      w.escalate ? { kind: 'escalate', question: 'why?' } : { kind: 'retry', guidance: 'again' },
    ...extra,
  });

describe('owedEffects', () => {
  it('keeps its index of tasks with outside work equal to a scan of the tasks, at every step', () => {
    fc.assert(
      fc.property(arbSim, (w) => {
        run(w, {
          observe: (_e, res) => {
            const scan = res.state.tasks.flatMap((t, i) => (owesWork(t) ? [i] : []));
            expect(outstandingOf(res.state)).toEqual(scan);
          },
        });
      }),
      { numRuns: 100 },
    );
  });

  it('owes nothing but the comment and labels once a simulated goal has run its course', () => {
    fc.assert(
      fc.property(arbSim, (w) => {
        const r = run(w);
        expect(['done', 'partial', 'paused']).toContain(r.state.status);
        expect(owedEffects(r.state, r.state.now).filter(BEYOND_GITHUB_VIEW)).toEqual([]);
        // Each effect was carried out once: the executor never repeats a key.
        const keys = r.effects.map((e) => e.key);
        expect(new Set(keys).size).toBe(keys.length);
      }),
      { numRuns: 100 },
    );
  });

  it('owes again, with the same keys, whatever was not answered: a lost effect is derived again', () => {
    fc.assert(
      fc.property(arbSim, fc.nat({ max: 80 }), (w, cut) => {
        const r = simulate({ plan: w.plan, taskMs: () => 1000, ciMs: 500, maxEvents: cut });
        const owed = owedEffects(r.state, r.state.now);
        // A shell that crashed after this state was written derives the very same work.
        expect(
          owedEffects(
            reviveState(JSON.parse(JSON.stringify(r.state)) as GoalStateJson),
            r.state.now,
          ),
        ).toEqual(owed);
        for (const e of owed) expect(EffectKey.parse(e.key)?.toString()).toBe(e.key);
      }),
      { numRuns: 100 },
    );
  });
});

/** An event as a test writes it: its time is optional. */
type Sent = GoalEvent extends infer E
  ? E extends GoalEvent
    ? Omit<E, 'at'> & { at?: number }
    : never
  : never;

/** A started diamond, driven by hand. */
function started(
  p: Plan = diamond(),
  settings: Partial<GoalSettings> = {},
): { s: GoalState; send: (e: Sent) => void } {
  let s = initGoal({
    repo: 'o/r',
    issue: 7,
    title: 'Goal',
    at: 0,
    settings: { ...defaultGoalSettings, ...settings },
  });
  let t = 0;
  const send = (e: Sent) => {
    const r = step(s, { ...e, at: e.at ?? ++t });
    if (r.ignored) throw new Error(r.ignored.message);
    s = r.state;
    box.s = s;
  };
  const box = { s, send };
  send({ type: 'plan.proposed', plan: p, version: 1 });
  send({
    type: 'approvals.changed',
    actor: 'maint',
    planVersion: 1,
    changes: p.tasks.map((x) => ({ taskId: x.id, approved: true })),
  });
  send({ type: 'start', baseSha: 'base', planVersion: 1 });
  send({ type: 'base.verdict', sha: 'base', verdict: 'green' });
  return box;
}

const of = <T extends Effect['type']>(s: GoalState, type: T, now = s.now) =>
  owedEffects(s, now).filter((e): e is Extract<Effect, { type: T }> => e.type === type);

/** Run `id` attempt `a` to the end with `outcome`. */
function ran(
  g: ReturnType<typeof started>,
  id: string,
  a: number,
  outcome: 'success' | 'failure',
  runId: number,
): void {
  g.send({ type: 'task.dispatched', taskId: id, attempt: a, runId });
  g.send({ type: 'task.finished', taskId: id, attempt: a, outcome, usage: { costUsd: 0 } });
}

/** The landing in progress merged as `sha`. */
function merged(g: ReturnType<typeof started>, sha: string): void {
  const land = of(g.s, 'land-task')[0]!;
  g.send({
    type: 'landing.result',
    taskId: land.taskId,
    attempt: land.attempt,
    landing: land.n,
    result: { kind: 'merged', sha },
  });
}

describe('owed work of one goal', () => {
  it('creates the goal branch until it is recorded', () => {
    const g = started();
    expect(of(g.s, 'create-goal-branch')).toEqual([
      expect.objectContaining({ key: 'branch:G7', sha: 'base' }),
    ]);
    g.send({ type: 'goal-branch.created' });
    expect(of(g.s, 'create-goal-branch')).toEqual([]);
  });

  it('sends a dispatch once, and again only when its run never showed up', () => {
    const g = started();
    expect(of(g.s, 'dispatch-task')).toEqual([
      expect.objectContaining({ key: 'dispatch:G7:T1:a1', send: true, baseSha: 'base' }),
    ]);
    g.send({ type: 'task.dispatch-sent', taskId: 'T1', attempt: 1, at: 100 });
    expect(of(g.s, 'dispatch-task', 101)[0]?.send).toBe(false);
    expect(of(g.s, 'dispatch-task', 100 + LOST_DISPATCH_MS)[0]?.send).toBe(true);
    g.send({ type: 'task.dispatched', taskId: 'T1', attempt: 1, runId: 9, at: 200 });
    expect(of(g.s, 'dispatch-task')).toEqual([]);
    expect(of(g.s, 'collect-run')).toEqual([
      expect.objectContaining({ key: 'collect:G7:T1:a1', runId: 9 }),
    ]);
  });

  it('looks for the run of a task stopped before its run was known, cancels it once, and counts its cost', () => {
    const g = started();
    g.send({ type: 'cancel' });
    expect(of(g.s, 'dispatch-task')).toEqual([expect.objectContaining({ send: false })]);
    expect(of(g.s, 'cancel-run')).toEqual([]);
    g.send({ type: 'task.dispatched', taskId: 'T1', attempt: 1, runId: 5 });
    expect(of(g.s, 'cancel-run')).toEqual([expect.objectContaining({ runId: 5 })]);
    g.send({ type: 'run.cancel-sent', taskId: 'T1', attempt: 1 });
    expect(of(g.s, 'cancel-run')).toEqual([]);
    expect(of(g.s, 'collect-run')).toHaveLength(1);
    g.send({
      type: 'task.finished',
      taskId: 'T1',
      attempt: 1,
      outcome: 'failure',
      usage: { costUsd: 0.2 },
    });
    expect(owedEffects(g.s, g.s.now).filter(BEYOND_GITHUB_VIEW)).toEqual([]);
    expect(g.s.budget.spentMicros).toBe(200_000);
  });

  it('judges every candidate at once, and fast-forwards the goal branch to the green ones in order', () => {
    const g = started(plan([task('T1'), task('T2')]));
    g.send({ type: 'goal-branch.created', sha: 'base' });
    ran(g, 'T1', 1, 'success', 1);
    ran(g, 'T2', 1, 'success', 2);
    expect(of(g.s, 'land-task')).toEqual([
      expect.objectContaining({
        taskId: 'T1',
        into: 'gantry/7/queue/1',
        onto: 'base',
        tip: 'base',
      }),
    ]);
    merged(g, 'c1');
    // T2 stacks on T1's candidate while CI judges it.
    expect(of(g.s, 'land-task')).toEqual([
      expect.objectContaining({ taskId: 'T2', into: 'gantry/7/queue/2', onto: 'c1', tip: 'c1' }),
    ]);
    merged(g, 'c2');
    expect(of(g.s, 'judge-ci').map((e) => e.sha)).toEqual(['c1', 'c2']);
    // The second is green first: it waits for the first.
    g.send({ type: 'ci.verdict', sha: 'c2', verdict: 'green' });
    expect(of(g.s, 'advance-goal-ref')).toEqual([]);
    expect(of(g.s, 'judge-ci').map((e) => e.sha)).toEqual(['c1']);
    g.send({ type: 'ci.verdict', sha: 'c1', verdict: 'green' });
    // Both refs go once the queue is idle, with the advance (one atomic request): never before
    // the goal branch holds what they hold.
    const refs = { refs: ['gantry/7/queue/1', 'gantry/7/queue/2'], upTo: 2 };
    expect(of(g.s, 'advance-goal-ref')).toEqual([
      expect.objectContaining({
        key: effectKey('advance', 7, { sha: 'c2' }),
        toSha: 'c2',
        fromSha: 'base',
        dropRefs: refs,
      }),
    ]);
    expect(of(g.s, 'reset-goal-ref')).toEqual([]);
    expect(of(g.s, 'delete-candidate-refs')).toEqual([]);
    // GitHub refused the batch and the branch moved alone: the refs are owed on their own.
    g.send({ type: 'goal-ref.advanced', sha: 'c2' });
    expect(of(g.s, 'delete-candidate-refs')).toEqual([
      expect.objectContaining({ key: effectKey('drop-refs', 7, { n: 2 }), ...refs }),
    ]);
    g.send({ type: 'candidate-refs.deleted', upTo: 2 });
    expect(of(g.s, 'advance-goal-ref')).toEqual([]);
    expect(of(g.s, 'delete-candidate-refs')).toEqual([]);
  });
});

describe('the goal branch moves in steps', () => {
  /** Five independent tasks, finished, with the queue `depth` deep. */
  function five(depth: number) {
    const g = started(plan(['T1', 'T2', 'T3', 'T4', 'T5'].map((id) => task(id))), {
      queueDepth: depth,
    });
    g.send({ type: 'goal-branch.created', sha: 'base' });
    ['T1', 'T2', 'T3', 'T4', 'T5'].forEach((id, k) => ran(g, id, 1, 'success', k + 1));
    return g;
  }
  const advance = (g: ReturnType<typeof started>) =>
    of(g.s, 'advance-goal-ref').map((e) => `${e.fromSha}->${e.toSha}`);

  it('at once for the first landing (its commit opens the pull request), then when the queue is idle', () => {
    const g = five(8);
    for (const sha of ['c1', 'c2', 'c3']) merged(g, sha);
    g.send({ type: 'ci.verdict', sha: 'c1', verdict: 'green' });
    expect(advance(g)).toEqual(['base->c1']);
    g.send({ type: 'goal-ref.advanced', sha: 'c1' });
    g.send({ type: 'pr.opened', number: 9 });
    for (const sha of ['c4', 'c5']) merged(g, sha);
    // Green, with candidates still in CI: the goal branch waits (tasks start from the last green).
    for (const sha of ['c2', 'c3', 'c4']) {
      g.send({ type: 'ci.verdict', sha, verdict: 'green' });
      expect(advance(g)).toEqual([]);
    }
    expect(g.s.lastGreen).toBe('c4');
    // The queue is idle: one fast-forward for the four.
    g.send({ type: 'ci.verdict', sha: 'c5', verdict: 'green' });
    expect(advance(g)).toEqual(['c1->c5']);
  });

  it('once a queue’s depth of candidates landed since it last moved, and whenever the goal is not running', () => {
    const g = five(2);
    merged(g, 'c1');
    merged(g, 'c2');
    g.send({ type: 'ci.verdict', sha: 'c1', verdict: 'green' });
    g.send({ type: 'goal-ref.advanced', sha: 'c1' });
    g.send({ type: 'pr.opened', number: 9 });
    merged(g, 'c3');
    g.send({ type: 'ci.verdict', sha: 'c2', verdict: 'green' });
    expect(advance(g)).toEqual([]); // one since c1, c3 in CI
    merged(g, 'c4');
    g.send({ type: 'ci.verdict', sha: 'c3', verdict: 'green' });
    expect(advance(g)).toEqual(['c1->c3']); // two: the queue's depth
    g.send({ type: 'goal-ref.advanced', sha: 'c3' });
    merged(g, 'c5');
    g.send({ type: 'ci.verdict', sha: 'c4', verdict: 'green' });
    expect(advance(g)).toEqual([]);
    g.send({ type: 'pause', actor: 'maint' });
    expect(advance(g)).toEqual(['c3->c4']);
  });

  it('carries the refs stale once it moves when a queue’s depth of them piled up, and none before', () => {
    const g = five(2);
    const carried = () => of(g.s, 'advance-goal-ref').map((e) => e.dropRefs);
    merged(g, 'c1');
    merged(g, 'c2');
    g.send({ type: 'ci.verdict', sha: 'c1', verdict: 'green' });
    // The first landing: the advance is due at once, one stale ref is not a queue's depth.
    expect(carried()).toEqual([undefined]);
    g.send({ type: 'goal-ref.advanced', sha: 'c1' });
    g.send({ type: 'pr.opened', number: 9 });
    merged(g, 'c3');
    g.send({ type: 'ci.verdict', sha: 'c2', verdict: 'green' });
    merged(g, 'c4');
    g.send({ type: 'ci.verdict', sha: 'c3', verdict: 'green' });
    expect(carried()).toEqual([
      { refs: ['gantry/7/queue/1', 'gantry/7/queue/2', 'gantry/7/queue/3'], upTo: 3 },
    ]);
    g.send({ type: 'goal-ref.advanced', sha: 'c3' });
    g.send({ type: 'candidate-refs.deleted', upTo: 3 });
    expect(of(g.s, 'delete-candidate-refs')).toEqual([]);
  });

  it('when a candidate CI never judged holds the queue (required CI, over its time limit)', () => {
    const g = five(8);
    for (const sha of ['c1', 'c2', 'c3']) merged(g, sha);
    g.send({ type: 'ci.verdict', sha: 'c1', verdict: 'green' });
    g.send({ type: 'goal-ref.advanced', sha: 'c1' });
    g.send({ type: 'pr.opened', number: 9 });
    g.send({ type: 'ci.verdict', sha: 'c3', verdict: 'green' });
    g.send({ type: 'ci.verdict', sha: 'c2', verdict: 'green' });
    merged(g, 'c4');
    expect(advance(g)).toEqual([]);
    // c4 never gets a verdict: once it is overdue, c3 (landed) reaches the pull request.
    g.send({ type: 'tick', at: g.s.now + 31 * 60_000 });
    expect(g.s.queue[0]!.ciOverdue).toBe(true);
    expect(advance(g)).toEqual(['c1->c3']);
  });
});

describe('owed work when things go wrong', () => {
  it('drops a red candidate and rebuilds the one stacked on it, without a reset', () => {
    const g = started(plan([task('T1'), task('T2')]));
    g.send({ type: 'goal-branch.created', sha: 'base' });
    ran(g, 'T1', 1, 'success', 1);
    ran(g, 'T2', 1, 'success', 2);
    merged(g, 'red1');
    merged(g, 'c2');
    g.send({ type: 'ci.verdict', sha: 'red1', verdict: 'red', failedChecks: ['test'] });
    expect(of(g.s, 'reset-goal-ref')).toEqual([]);
    expect(of(g.s, 'advance-goal-ref')).toEqual([]);
    expect(of(g.s, 'ask-recovery')).toEqual([
      expect.objectContaining({ failure: expect.objectContaining({ kind: 'ci', sha: 'red1' }) }),
    ]);
    // T2 again, first, on the green head; the verdict on the dropped candidate is ignored.
    expect(of(g.s, 'land-task')).toEqual([
      expect.objectContaining({ taskId: 'T2', into: 'gantry/7/queue/3', onto: 'base' }),
    ]);
    expect(of(g.s, 'judge-ci')).toEqual([]);
    const late = step(g.s, { type: 'ci.verdict', at: 1e9, sha: 'c2', verdict: 'green' });
    expect(late.ignored?.code).toBe('superseded');
  });

  it('rewrites the pull request account each time the goal ends partial', () => {
    const g = started(plan([task('T1'), task('T2')]), { maxAttempts: 1, landingBatch: 1 });
    ran(g, 'T1', 1, 'success', 1);
    merged(g, 's1');
    g.send({ type: 'pr.opened', number: 5 });
    g.send({ type: 'ci.verdict', sha: 's1', verdict: 'green' });
    ran(g, 'T2', 1, 'failure', 2);
    expect(g.s.status).toBe('partial');
    const first = of(g.s, 'update-pr-body');
    expect(first).toEqual([expect.objectContaining({ number: 5, finishedAt: g.s.finishedAt })]);
    g.send({ type: 'pr.account-updated', number: 5, finishedAt: first[0]!.finishedAt });
    expect(of(g.s, 'update-pr-body')).toEqual([]);
    g.send({ type: 'task.retry', taskId: 'T2' });
    ran(g, 'T2', 2, 'failure', 3);
    expect(g.s.status).toBe('partial');
    const second = of(g.s, 'update-pr-body');
    expect(second).toHaveLength(1);
    expect(second[0]!.key).not.toBe(first[0]!.key);
  });

  it('gives back the reservation of a stopped attempt whose run never showed up', () => {
    const g = started(plan([task('T1')]));
    g.send({ type: 'task.dispatch-sent', taskId: 'T1', attempt: 1, at: 100 });
    g.send({ type: 'cancel', at: 200 });
    expect(g.s.budget.reservedMicros).toBeGreaterThan(0);
    expect(of(g.s, 'dispatch-task', 100 + LOST_DISPATCH_MS - 1)).toEqual([
      expect.objectContaining({ send: false }),
    ]);
    expect(of(g.s, 'dispatch-task', 100 + LOST_DISPATCH_MS - 1)[0]!.abandon).toBeUndefined();
    expect(of(g.s, 'dispatch-task', 100 + LOST_DISPATCH_MS)[0]!.abandon).toBe(true);
    g.send({ type: 'run.not-found', taskId: 'T1', attempt: 1 });
    expect(g.s.budget.reservedMicros).toBe(0);
    expect(owedEffects(g.s, g.s.now).filter(BEYOND_GITHUB_VIEW)).toEqual([]);
  });
});

describe('a state written before effects were derived (a goal in flight during a deploy)', () => {
  /** The state as the previous version wrote it: without the fields this protocol added. */
  const older = (s: GoalState): GoalState => {
    const json = JSON.parse(JSON.stringify(s)) as GoalStateJson;
    const { outstanding: _o, branchCreated: _b, ...rest } = json;
    return reviveState({
      ...rest,
      tasks: json.tasks.map(({ failure: _f, asking: _a, ...t }) => t),
      pr: { requested: json.pr.requested, number: json.pr.number, ready: json.pr.ready },
    });
  };

  it('still asks recovery for a failed attempt, from its reason, and owes the branch once', () => {
    const g = started();
    g.send({ type: 'goal-branch.created' });
    g.send({ type: 'task.dispatched', taskId: 'T1', attempt: 1, runId: 1 });
    g.send({
      type: 'task.finished',
      taskId: 'T1',
      attempt: 1,
      outcome: 'failure',
      summary: 'tests fail',
      usage: { costUsd: 0 },
    });
    const owed = owedEffects(older(g.s), g.s.now);
    expect(owed.filter((e) => e.type === 'ask-recovery')).toEqual([
      expect.objectContaining({
        failure: { kind: 'agent', detail: 'agent run ended failure: tests fail' },
      }),
    ]);
    expect(owed.filter((e) => e.type === 'create-goal-branch')).toHaveLength(1);
    expect(outstandingOf(older(g.s))).toEqual(outstandingOf(g.s));
  });

  it('does not make a pull request ready again that the previous version already made ready', () => {
    const r = simulate({ plan: diamond(), taskMs: () => 1000, ciMs: 500 });
    expect(r.state.pr).toMatchObject({ ready: true, readyMarked: true });
    const before = { ...r.state, pr: { ...r.state.pr, readyMarked: false } };
    expect(of(before, 'mark-pr-ready')).toHaveLength(1);
    expect(of(older(before), 'mark-pr-ready')).toEqual([]);
  });
});

describe('EffectKey', () => {
  it('prints and parses back every key', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EffectKind[]>('dispatch', 'land', 'judge', 'pr-body', 'labels'),
        fc.integer({ min: 1, max: 1e6 }),
        fc.record(
          {
            task: fc.integer({ min: 1, max: 9999 }).map((n) => `T${n}`),
            attempt: fc.integer({ min: 1, max: 50 }),
            n: fc.nat(),
            revision: fc.nat(),
            sha: fc.stringMatching(/^[0-9a-f]{7,40}$/),
            tag: fc.stringMatching(/^[a-z0-9-]{0,12}$/),
          },
          { requiredKeys: [] },
        ),
        (kind, issue, parts) => {
          const text = effectKey(kind, issue, parts);
          const back = EffectKey.parse(text)!;
          expect(back.toString()).toBe(text);
          expect(back).toMatchObject({ kind, issue });
        },
      ),
    );
  });

  it('refuses text that is not a key', () => {
    for (const bad of ['', 'dispatch', 'nope:G1', 'dispatch:G0', 'dispatch:G1:X', 'land:G1:a0'])
      expect(EffectKey.parse(bad)).toBeUndefined();
  });
});
