import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent } from '../../src/core/events.js';
import {
  defaultGoalSettings,
  initGoal,
  TASK_STATUSES,
  type GoalState,
} from '../../src/core/goal.js';
import { owedEffects } from '../../src/core/owed-effects.js';
import type { Task } from '../../src/core/plan.js';
import { step } from '../../src/core/step.js';
import { taskDefinitionHash } from '../../src/core/task-definition.js';
import { arbPlan, task } from '../support/plans.js';

const ACTORS = ['alice', 'bob', 'carol'] as const;

/** What a person or the world does next; indexes pick among the tasks or effects there are. */
const arbOp = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('tick' as const),
      task: fc.nat(),
      actor: fc.nat(2),
      approve: fc.constantFrom(true, true, true, false),
      seen: fc.constantFrom('current' as const, 'stale' as const, 'none' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('edit' as const),
      task: fc.nat(),
      field: fc.nat(5),
      dep: fc.nat(),
      tick: fc.boolean(),
      actor: fc.nat(2),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('approve-all' as const), actor: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('replan' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('start' as const) }) },
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant('work' as const),
      pick: fc.nat(),
      ok: fc.constantFrom(true, true, false),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('recover' as const), pick: fc.nat(), inject: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constantFrom('skip' as const, 'retry' as const), task: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('pause' as const, 'resume' as const) }) },
);
type Op = typeof arbOp extends fc.Arbitrary<infer O> ? O : never;

const RUNS = Number(process.env.FC_RUNS ?? 200);

/**
 * Drives a goal through random approvals by various people, edits, replans, recoveries that add
 * tasks, Start and runs, and checks after every step that whatever is dispatched (owed as a
 * dispatch to send, or moved to running) has the definition a person ticked, and that person as
 * its approver.
 */
function drive(
  p: ReturnType<typeof arbPlan> extends fc.Arbitrary<infer P> ? P : never,
  ops: Op[],
  seen: { dispatched: number; injectedRan: number; editedRan: number },
) {
  let s = initGoal({ repo: 'o/r', issue: 1, title: 'g', at: 0, settings: defaultGoalSettings });
  let t = 0;
  /** task id -> definition hash -> who ticked a task while it had that definition. */
  const ticked = new Map<string, Map<string, Set<string>>>();
  const injected = new Set<string>();
  const edited = new Set<string>();
  let shas = 0;
  let runIds = 0;

  const hashOf = (st: GoalState, id: string) => {
    const spec = st.plan?.tasks.find((x) => x.id === id);
    return spec ? taskDefinitionHash(spec) : undefined;
  };
  const check = (st: GoalState, id: string, why: string) => {
    const i = st.plan!.tasks.findIndex((x) => x.id === id);
    const run = st.tasks.at(i)!;
    const hash = hashOf(st, id)!;
    const who = ticked.get(id)?.get(hash);
    expect(who, `${why}: ${id}'s definition was never ticked`).toBeDefined();
    expect(run.approvedHash, why).toBe(hash);
    expect(who, why).toContain(run.approvedBy);
    seen.dispatched++;
    if (injected.has(id)) seen.injectedRan++;
    if (edited.has(id)) seen.editedRan++;
  };

  const send = (e: GoalEvent) => {
    const before = s;
    const r = step(before, { ...e, at: ++t });
    s = r.state;
    if (r.ignored) return r;
    if (e.type === 'approvals.changed')
      for (const c of e.changes.filter((x) => x.approved)) {
        const h = hashOf(s, c.taskId);
        if (!h) continue;
        const byHash = ticked.get(c.taskId) ?? new Map<string, Set<string>>();
        ticked.set(c.taskId, byHash.set(h, (byHash.get(h) ?? new Set()).add(e.actor!)));
      }
    s.tasks.forEach((run, i) => {
      const was =
        before.plan?.tasks[i]?.id === s.plan!.tasks[i]!.id ? before.tasks.at(i) : undefined;
      if (run.status === 'running' && (was?.status !== 'running' || was.attempt !== run.attempt))
        check(s, s.plan!.tasks[i]!.id, `moved to running by ${e.type}`);
    });
    if (e.type === 'task.dispatched') check(s, e.taskId, 'task.dispatched accepted');
    // Approvals going and coming keep the status counts true.
    for (const st of TASK_STATUSES)
      expect(s.counts[st], st).toBe(s.tasks.filter((x) => x.status === st).length);
    for (const f of owedEffects(s, t))
      if (f.type === 'dispatch-task' && f.send) check(s, f.taskId, 'dispatch owed');
    return r;
  };

  const ids = () => s.plan?.tasks.map((x) => x.id) ?? [];
  const pickId = (n: number) => ids()[n % Math.max(1, ids().length)];

  send({ type: 'plan.proposed', at: 0, plan: p, version: 1 });
  for (const op of ops) {
    const base = { at: 0, planVersion: s.planVersion };
    switch (op.k) {
      case 'tick': {
        const id = pickId(op.task);
        if (!id) break;
        const hash =
          op.seen === 'current' ? hashOf(s, id) : op.seen === 'stale' ? 'f'.repeat(32) : undefined;
        send({
          ...base,
          type: 'approvals.changed',
          actor: ACTORS[op.actor],
          changes: [{ taskId: id, approved: op.approve, ...(hash ? { hash } : {}) }],
        });
        break;
      }
      case 'edit': {
        const id = pickId(op.task);
        if (!id) break;
        const other = pickId(op.dep)!;
        const edits = [
          { taskId: id, title: `Edited ${t}` },
          { taskId: id, description: `Edited at ${t}.` },
          { taskId: id, tier: 'large' as const },
          { taskId: id, scope: [`lib/${t}/`] },
          { taskId: id, criteria: [{ kind: 'command' as const, run: `echo ${t}` }] },
          // May make a cycle: then the edit is refused and the plan kept.
          { taskId: id, dependsOn: other === id ? [] : [other] },
        ];
        const r = send({
          ...base,
          type: 'approvals.changed',
          actor: ACTORS[op.actor],
          changes: op.tick ? [{ taskId: id, approved: true }] : [],
          edits: [edits[op.field]!],
        });
        if (!r.ignored) edited.add(id);
        break;
      }
      case 'approve-all':
        send({
          ...base,
          type: 'approvals.changed',
          actor: ACTORS[op.actor],
          changes: ids().map((taskId) => ({ taskId, approved: true })),
        });
        break;
      case 'replan':
        if (send({ type: 'replan.requested', at: 0, feedback: 'again' }).ignored) break;
        send({
          type: 'plan.proposed',
          at: 0,
          version: s.planVersion + 1,
          plan: { ...p, tasks: p.tasks.map((x) => ({ ...x, title: `${x.title} v${t}` })) },
        });
        break;
      case 'start':
        send({ type: 'start', at: 0, actor: 'alice', baseSha: 'base', planVersion: s.planVersion });
        break;
      case 'work': {
        const owed = owedEffects(s, t).filter((f) => answer(f, op.ok) !== undefined);
        const f = owed[op.pick % Math.max(1, owed.length)];
        const e = f && answer(f, op.ok);
        if (e) send(e);
        break;
      }
      case 'recover': {
        const asks = owedEffects(s, t).filter((f) => f.type === 'ask-recovery');
        const f = asks[op.pick % Math.max(1, asks.length)];
        if (!f) break;
        const next = Math.max(...ids().map((x) => Number(x.slice(1)))) + 1;
        const tasks: Task[] = Array.from({ length: op.inject }, (_, k) =>
          task(`T${next + k}`, [], { title: `Helper ${next + k}` }),
        );
        const r = send({
          type: 'recovery.proposed',
          at: 0,
          taskId: f.taskId,
          attempt: f.attempt,
          rootCause: 'random',
          action: tasks.length ? { kind: 'inject', tasks } : { kind: 'retry', guidance: 'again' },
        });
        if (!r.ignored) for (const x of tasks) injected.add(x.id);
        break;
      }
      case 'skip':
      case 'retry': {
        const id = pickId(op.task);
        if (id) send({ type: op.k === 'skip' ? 'task.skip' : 'task.retry', at: 0, taskId: id });
        break;
      }
      case 'pause':
      case 'resume':
        send({ type: op.k, at: 0, actor: 'alice' });
        break;
    }
  }

  /** The world's answer to an owed effect; undefined for effects this world does not answer. */
  function answer(f: Effect, ok: boolean): GoalEvent | undefined {
    const at = 0;
    switch (f.type) {
      case 'create-goal-branch':
        return { type: 'goal-branch.created', at };
      case 'dispatch-task':
        return f.send
          ? { type: 'task.dispatched', at, taskId: f.taskId, attempt: f.attempt, runId: ++runIds }
          : undefined;
      case 'collect-run':
        return {
          type: 'task.finished',
          at,
          taskId: f.taskId,
          attempt: f.attempt,
          outcome: ok ? 'success' : 'failure',
          usage: { costUsd: 0.01 },
        };
      case 'land-task':
        return {
          type: 'landing.result',
          at,
          taskId: f.taskId,
          attempt: f.attempt,
          landing: f.n,
          result: { kind: 'merged', sha: `s${++shas}` },
        };
      case 'judge-ci':
        return ok
          ? { type: 'ci.verdict', at, sha: f.sha, verdict: 'green' }
          : { type: 'ci.verdict', at, sha: f.sha, verdict: 'red', failedChecks: ['test'] };
      case 'reset-goal-ref':
        return { type: 'goal-ref.reset', at, fromSha: f.fromSha };
      case 'escalate':
        return { type: 'escalation.posted', at, taskId: f.taskId, attempt: f.attempt };
      case 'report-outcome':
        return { type: 'outcome.reported', at, taskId: f.taskId, attempt: f.attempt };
      case 'open-draft-pr':
        return { type: 'pr.opened', at, number: 1 };
      case 'ask-recovery': // answered by the 'recover' op
      case 'cancel-run':
      case 'mark-pr-ready':
      case 'set-labels':
      case 'update-plan-comment':
      case 'update-pr-body':
        return undefined;
    }
  }
}

describe('approval properties', () => {
  it('never dispatches a task whose current definition a person did not tick', () => {
    const seen = { dispatched: 0, injectedRan: 0, editedRan: 0 };
    fc.assert(
      fc.property(
        arbPlan({ maxTasks: 5 }),
        fc.array(arbOp, { minLength: 20, maxLength: 120, size: 'max' }),
        (p, ops) => drive(p, ops, seen),
      ),
      { numRuns: RUNS },
    );
    // Not vacuous: tasks ran, among them tasks recovery added and tasks edited after a tick.
    expect(seen.dispatched).toBeGreaterThan(100);
    expect(seen.injectedRan).toBeGreaterThan(0);
    expect(seen.editedRan).toBeGreaterThan(0);
  });
});
