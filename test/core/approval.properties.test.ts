import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '../../src/core/checklist/signed-state.js';
import { editTask, type TaskEdit } from '../../src/core/edit-task.js';
import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent } from '../../src/core/events.js';
import {
  defaultGoalSettings,
  initGoal,
  TASK_STATUSES,
  type ApprovalPolicy,
  type GoalSettings,
  type GoalState,
  type TaskStatus,
} from '../../src/core/goal.js';
import { reviveState, type GoalStateJson } from '../../src/core/revive-state.js';
import { owedEffects } from '../../src/core/owed-effects.js';
import type { Plan, Task } from '../../src/core/plan.js';
import { step } from '../../src/core/step.js';
import { taskDefinitionHash } from '../../src/core/task-definition.js';
import { arbPlan, task } from '../support/plans.js';

const ACTORS = ['alice', 'bob', 'carol'] as const;
const KEY = 'property-key';

/** The plan comment as one person last saw it: its version and each task's definition then. */
interface View {
  planVersion: number;
  tasks: ReadonlyMap<string, Task>;
}

/** Ticked in the comment and on its way to run: each must be approved as it is defined now. */
const ON_THE_WAY: ReadonlySet<TaskStatus> = new Set([
  'approved',
  'queued',
  'retrying',
  'running',
  'blocked',
]);

/** Approval by a person, or by the goal's auto policy, or by recovery's: each combination runs. */
const arbSettings = fc
  .record({
    approval: fc.constantFrom('required' as const, 'required' as const, 'auto' as const),
    autoApprove: fc.constantFrom(false, false, true),
  })
  .map(({ approval, autoApprove }): GoalSettings => ({
    ...defaultGoalSettings,
    approval,
    recovery: { autoApprove },
  }));

const actor = fc.nat(ACTORS.length - 1);
const person = (n: number) => ACTORS[n % ACTORS.length]!;
/** Whether the person reloads the plan comment first; if not, they act on what they saw last. */
const refresh = fc.constantFrom(true, false);

/** What a person or the world does next; indexes pick among the tasks or effects there are. */
const arbOp = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('look' as const), actor }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('tick' as const),
      task: fc.nat(),
      actor,
      approve: fc.constantFrom(true, true, true, false),
      refresh,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('edit' as const),
      task: fc.nat(),
      field: fc.nat(5),
      dep: fc.nat(),
      tick: fc.boolean(),
      actor,
      refresh,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('command' as const),
      actor,
      named: fc.option(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('replan' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('start' as const), actor }) },
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
    arbitrary: fc.record({
      k: fc.constant('recover' as const),
      pick: fc.nat(),
      inject: fc.nat(2),
      dep: fc.option(fc.nat(), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constantFrom('skip' as const, 'retry' as const), task: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('pause' as const, 'resume' as const) }) },
);
type Op = typeof arbOp extends fc.Arbitrary<infer O> ? O : never;

/** How the state is carried to the next event: in memory, as JSON, or signed in the comment. */
const arbCarry = fc.constantFrom('memory', 'memory', 'json', 'json', 'signed');
type Carry = typeof arbCarry extends fc.Arbitrary<infer C> ? C : never;

const RUNS = Number(process.env.FC_RUNS ?? 200);

interface Seen {
  dispatched: number;
  byPerson: number;
  byPolicy: Record<ApprovalPolicy, number>;
  injectedRan: number;
  editedRan: number;
  staleRefused: number;
  carried: number;
}

/**
 * Drives a goal through people acting on the plan comment as they last saw it (often stale),
 * edits, replans, recoveries that add tasks, Start and runs, with the state carried through JSON
 * and the signed block at random. The oracle keeps its own record of what each person saw and
 * ticked, and of what a configured policy approved; after every step, every task dispatched (or
 * owed a dispatch, or ticked and on its way to run) must have, as its current definition, one a
 * person saw and ticked while it was that task's definition, or one an enabled policy approved.
 */
function drive(settings: GoalSettings, p: Plan, ops: { op: Op; carry: Carry }[], seen: Seen) {
  let s = initGoal({ repo: 'o/r', issue: 1, title: 'g', at: 0, settings });
  let t = 0;
  /** task id -> definition hash -> the people (and policies) who approved it having seen it. */
  const approvals = new Map<string, Map<string, Set<string>>>();
  const views = new Map<string, View>();
  const injected = new Set<string>();
  const edited = new Set<string>();
  let shas = 0;
  let runIds = 0;

  const credit = (id: string, def: Task, who: string) => {
    const byHash = approvals.get(id) ?? new Map<string, Set<string>>();
    const hash = taskDefinitionHash(def);
    approvals.set(id, byHash.set(hash, (byHash.get(hash) ?? new Set()).add(who)));
  };
  const enabled = (policy: ApprovalPolicy) =>
    policy === 'auto-approval'
      ? settings.approval === 'auto'
      : policy === 'recovery-auto-approve'
        ? settings.recovery.autoApprove
        : false; // 'earlier-version': no state here was written before approvals were bound
  const specOf = (st: GoalState, id: string) => st.plan?.tasks.find((x) => x.id === id);
  const look = (): View => ({
    planVersion: s.planVersion,
    tasks: new Map(s.plan?.tasks.map((x) => [x.id, x])),
  });
  const viewOf = (who: string, reload: boolean) => {
    if (reload || !views.has(who)) views.set(who, look());
    return views.get(who)!;
  };

  const check = (st: GoalState, i: number, why: string) => {
    const spec = st.plan!.tasks[i]!;
    const run = st.tasks.at(i)!;
    const hash = taskDefinitionHash(spec);
    const by = approvals.get(spec.id)?.get(hash) ?? new Set<string>();
    const who = run.approvedVia ?? run.approvedBy;
    const policyOn = run.approvedVia === undefined || enabled(run.approvedVia);
    expect(
      who !== undefined && policyOn && by.has(who),
      `${why}: ${spec.id} (${run.status}) runs definition ${hash}, recorded as approved by ${who ?? 'nobody'}` +
        `${policyOn ? '' : ' (a policy the settings do not enable)'}; ` +
        `that definition was seen and approved by: ${[...by].join(', ') || 'nobody'}`,
    ).toBe(true);
    expect(run.approvedHash, `${why}: ${spec.id}'s approval is bound to another definition`).toBe(
      hash,
    );
  };
  const dispatched = (st: GoalState, i: number, why: string) => {
    check(st, i, why);
    const id = st.plan!.tasks[i]!.id;
    const run = st.tasks.at(i)!;
    seen.dispatched++;
    if (run.approvedVia) seen.byPolicy[run.approvedVia]++;
    else seen.byPerson++;
    if (injected.has(id) && !run.approvedVia) seen.injectedRan++;
    if (edited.has(id)) seen.editedRan++;
  };

  /** The state as the next event finds it: read back from where the App keeps it, at random. */
  const carry = (st: GoalState, how: Carry): GoalState => {
    if (how === 'memory') return st;
    seen.carried++;
    if (how === 'json') return reviveState(JSON.parse(JSON.stringify(st)) as GoalStateJson);
    const read = decodeState(encodeState(st, KEY), KEY, { repo: st.repo, issue: st.issue });
    if (!read.ok) throw read.error;
    return read.state;
  };

  let how: Carry = 'memory';
  /** Step; once the event is taken, `taken` credits what it approved, before the checks. */
  const send = (e: GoalEvent, taken?: (after: GoalState) => void) => {
    const before = s;
    const r = step(before, { ...e, at: ++t });
    if (r.ignored) return r;
    taken?.(r.state);
    s = carry(r.state, how);
    // The policies a state obeys are the configured ones, however it was read back.
    expect(s.settings, `settings after ${e.type}, carried ${how}`).toEqual(settings);
    s.tasks.forEach((run, i) => {
      const was =
        before.plan?.tasks[i]?.id === s.plan!.tasks[i]!.id ? before.tasks.at(i) : undefined;
      if (run.status === 'running' && (was?.status !== 'running' || was.attempt !== run.attempt))
        dispatched(s, i, `moved to running by ${e.type}`);
      if (ON_THE_WAY.has(run.status))
        check(s, i, `shown ticked, on its way to run, after ${e.type}`);
    });
    if (e.type === 'task.dispatched')
      dispatched(
        s,
        s.plan!.tasks.findIndex((x) => x.id === e.taskId),
        'task.dispatched accepted',
      );
    // Approvals going and coming keep the status counts true.
    for (const st of TASK_STATUSES)
      expect(s.counts[st], st).toBe(s.tasks.filter((x) => x.status === st).length);
    for (const f of owedEffects(s, t))
      if (f.type === 'dispatch-task' && f.send)
        check(
          s,
          s.plan!.tasks.findIndex((x) => x.id === f.taskId),
          'dispatch owed',
        );
    return r;
  };

  const ids = () => s.plan?.tasks.map((x) => x.id) ?? [];
  const pickIn = (list: readonly string[], n: number) => list[n % Math.max(1, list.length)];

  /** A plan made by the planner: under `approval: auto`, that policy approves it as proposed. */
  const propose = (plan: Plan, version: number) => {
    send({ type: 'plan.proposed', at: 0, plan, version }, () => {
      for (const x of plan.tasks) credit(x.id, x, 'auto-approval');
    });
  };

  propose(p, 1);
  for (const { op, carry: c } of ops) {
    how = c;
    switch (op.k) {
      case 'look':
        views.set(person(op.actor), look());
        break;
      case 'tick': {
        // A checkbox ticked in the comment as the person saw it: its hash is of that definition.
        const who = person(op.actor);
        const view = viewOf(who, op.refresh);
        const id = pickIn([...view.tasks.keys()], op.task);
        if (!id) break;
        const def = view.tasks.get(id)!;
        const hash = taskDefinitionHash(def);
        const r = send(
          {
            type: 'approvals.changed',
            at: 0,
            planVersion: view.planVersion,
            actor: who,
            changes: [{ taskId: id, approved: op.approve, hash }],
          },
          () => op.approve && credit(id, def, who),
        );
        const now = specOf(s, id);
        if (op.approve && now && view.planVersion === s.planVersion)
          if (hash !== taskDefinitionHash(now) && r.ignored?.code === 'stale-plan')
            seen.staleRefused++;
        break;
      }
      case 'edit': {
        // The person edits the task's text in the comment they see, and may tick it too.
        const who = person(op.actor);
        const view = viewOf(who, op.refresh);
        const list = [...view.tasks.keys()];
        const id = pickIn(list, op.task);
        if (!id) break;
        const other = pickIn(list, op.dep)!;
        const edits: TaskEdit[] = [
          { taskId: id, title: `Edited ${t}` },
          { taskId: id, description: `Edited at ${t}.` },
          { taskId: id, tier: 'large' },
          { taskId: id, scope: [`lib/${t}/`] },
          { taskId: id, criteria: [{ kind: 'command', run: `echo ${t}` }] },
          // May make a cycle: then the edit is refused and the plan kept.
          { taskId: id, dependsOn: other === id ? [] : [other] },
        ];
        const edit = edits[op.field]!;
        const def = view.tasks.get(id)!;
        send(
          {
            type: 'approvals.changed',
            at: 0,
            planVersion: view.planVersion,
            actor: who,
            changes: op.tick ? [{ taskId: id, approved: true, hash: taskDefinitionHash(def) }] : [],
            edits: [edit],
          },
          () => {
            edited.add(id);
            // What they approve is what they wrote: their edit of the definition they saw.
            if (op.tick) credit(id, editTask(def, edit), who);
          },
        );
        break;
      }
      case 'command': {
        // `/gantry approve [ids]` carries no hash: its author approves the plan comment as it is
        // when the command is read (before Start all of it; once it runs, only the tasks named).
        if (op.named === undefined && s.startedAt !== undefined) break;
        const who = person(op.actor);
        const named = op.named?.map((n) => pickIn(ids(), n)!) ?? ids();
        const shown = new Map(s.plan?.tasks.map((x) => [x.id, x]));
        send(
          {
            type: 'approvals.changed',
            at: 0,
            planVersion: s.planVersion,
            actor: who,
            changes: named.map((taskId) => ({ taskId, approved: true })),
          },
          () => named.forEach((id) => credit(id, shown.get(id)!, who)),
        );
        break;
      }
      case 'replan':
        if (send({ type: 'replan.requested', at: 0, feedback: 'again' }).ignored) break;
        propose(
          { ...p, tasks: p.tasks.map((x) => ({ ...x, title: `${x.title} v${t}` })) },
          s.planVersion + 1,
        );
        break;
      case 'start':
        send({
          type: 'start',
          at: 0,
          actor: person(op.actor),
          baseSha: 'base',
          planVersion: s.planVersion,
        });
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
        const dep = op.dep === undefined ? [] : [pickIn(ids(), op.dep)!];
        const tasks: Task[] = Array.from({ length: op.inject }, (_, k) =>
          task(`T${next + k}`, dep, { title: `Helper ${next + k}` }),
        );
        const failed = specOf(s, f.taskId)!;
        send(
          {
            type: 'recovery.proposed',
            at: 0,
            taskId: f.taskId,
            attempt: f.attempt,
            rootCause: 'random',
            action: tasks.length ? { kind: 'inject', tasks } : { kind: 'retry', guidance: 'again' },
          },
          (after) => {
            if (!tasks.length || !tasks.every((x) => specOf(after, x.id))) return;
            // What recovery proposed: its tasks, and the failed task waiting for them. With
            // `recovery.autoApprove` that policy approves exactly these definitions.
            for (const x of tasks) {
              injected.add(x.id);
              credit(x.id, x, 'recovery-auto-approve');
            }
            const ids = tasks.map((x) => x.id);
            credit(
              f.taskId,
              { ...failed, dependsOn: [...failed.dependsOn, ...ids] },
              'recovery-auto-approve',
            );
          },
        );
        break;
      }
      case 'skip':
      case 'retry': {
        const id = pickIn(ids(), op.task);
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
      case 'judge-base':
        return { type: 'base.verdict', at, sha: f.sha, verdict: 'green' };
      case 'reset-goal-ref':
        return { type: 'goal-ref.reset', at, fromSha: f.fromSha };
      case 'advance-goal-ref':
        return { type: 'goal-ref.advanced', at, sha: f.toSha };
      case 'delete-candidate-refs':
        return { type: 'candidate-refs.deleted', at, upTo: f.upTo };
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
  it('never dispatches a task whose current definition no person saw and ticked, nor an enabled policy approved', () => {
    const seen: Seen = {
      dispatched: 0,
      byPerson: 0,
      byPolicy: { 'auto-approval': 0, 'recovery-auto-approve': 0, 'earlier-version': 0 },
      injectedRan: 0,
      editedRan: 0,
      staleRefused: 0,
      carried: 0,
    };
    fc.assert(
      fc.property(
        arbSettings,
        arbPlan({ maxTasks: 5 }),
        fc.array(fc.record({ op: arbOp, carry: arbCarry }), {
          minLength: 20,
          maxLength: 120,
          size: 'max',
        }),
        (settings, p, ops) => drive(settings, p, ops, seen),
      ),
      { numRuns: RUNS },
    );
    // Not vacuous: tasks ran under each kind of approval, among them tasks recovery added that a
    // person ticked and tasks edited after a tick; stale ticks were refused; states were carried.
    expect(seen.dispatched).toBeGreaterThan(100);
    expect(seen.byPerson).toBeGreaterThan(0);
    expect(seen.byPolicy['auto-approval']).toBeGreaterThan(0);
    expect(seen.byPolicy['recovery-auto-approve']).toBeGreaterThan(0);
    expect(seen.injectedRan).toBeGreaterThan(0);
    expect(seen.editedRan).toBeGreaterThan(0);
    expect(seen.staleRefused).toBeGreaterThan(0);
    expect(seen.carried).toBeGreaterThan(0);
  });
});
