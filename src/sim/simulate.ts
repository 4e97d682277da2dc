import type { Effect } from '../core/effects.js';
import type { GoalEvent, RecoveryAction } from '../core/events.js';
import { initGoal, type GoalSettings, type GoalState } from '../core/goal.js';
import type { Plan } from '../core/plan.js';
import { owedEffects } from '../core/owed-effects.js';
import { step, type StepResult } from '../core/step.js';
import { EventQueue } from './event-queue.js';

/** Timed event without its time: the queue adds it. */
type Pending = GoalEvent extends infer E ? (E extends GoalEvent ? Omit<E, 'at'> : never) : never;

export interface SimulationOptions {
  plan: Plan;
  settings?: GoalSettings;
  /** Agent time of one attempt, in ms of simulated time. */
  taskMs: (taskId: string, attempt: number) => number;
  /** Time from a push to the CI verdict on it. */
  ciMs: number;
  agentOutcome?: (taskId: string, attempt: number) => 'success' | 'failure' | 'partial';
  /** Whether CI fails on a sha that contains these tasks' landings. */
  ciRed?: (sha: string, landedTaskIds: readonly string[]) => boolean;
  conflict?: (taskId: string, attempt: number) => boolean;
  recovery?: (effect: Extract<Effect, { type: 'ask-recovery' }>) => RecoveryAction;
  costUsd?: (taskId: string, attempt: number, budgetUsd: number) => number;
  /** Called after every step with what the new state owes, for invariant checks. */
  observe?: (
    event: GoalEvent,
    result: StepResult,
    before: GoalState,
    owed: Effect[],
    /** The tasks whose landing a sha contains, in the order they were merged. */
    tasksIn: (sha: string) => string[],
  ) => void;
  /** Rewrite the delivered stream (duplicate, drop); default delivers each event once. */
  deliver?: (event: GoalEvent) => GoalEvent[];
  maxEvents?: number;
}

export interface SimulationResult {
  state: GoalState;
  events: GoalEvent[];
  /** The effects carried out, in order, each once. */
  effects: Effect[];
  /** Simulated time from Start to the last event. */
  makespanMs: number;
  steps: number;
  /** Every sha the goal branch was made at or moved to, in order, and whether it was forced. */
  goalRefs: { sha: string; forced: boolean }[];
  /** The tasks whose landing a sha contains (the sim's model of its tree). */
  tasksIn: (sha: string) => string[];
}

/**
 * Run one goal from plan to finish against a fake GitHub: dispatches finish after `taskMs`,
 * merges (into candidate refs) are instant and produce new shas, CI answers after `ciMs` on
 * every candidate. Every event
 * goes through the real reducer; nothing about the core is mocked.
 */
export function simulate(o: SimulationOptions): SimulationResult {
  const queue = new EventQueue<Pending>();
  let state = initGoal({
    repo: 'sim/repo',
    issue: 1,
    title: o.plan.goal.title,
    at: 0,
    ...(o.settings ? { settings: o.settings } : {}),
  });
  const events: GoalEvent[] = [];
  const effects: Effect[] = [];
  const done = new Set<string>();
  let runIds = 100;
  let shas = 0;
  const goalRefs: { sha: string; forced: boolean }[] = [];
  /**
   * Which tasks each sha contains (for ciRed), as a list sharing its tail with its parent sha's:
   * one node per landing keeps memory linear, where a copy per sha grew with the square.
   */
  type Landed = { taskId: string; parent: Landed | undefined } | undefined;
  const contents = new Map<string, Landed>([['base', undefined]]);
  const landedIds = (l: Landed): string[] => {
    const ids: string[] = [];
    for (let n = l; n; n = n.parent) ids.push(n.taskId);
    return ids.reverse();
  };
  const tasksIn = (sha: string) => landedIds(contents.get(sha));
  let last = 0;
  let steps = 0;
  const max = o.maxEvents ?? 10_000_000;

  const feed = (at: number, e: Pending) => queue.push(at, e);
  feed(0, { type: 'plan.proposed', plan: o.plan, version: 1 });
  feed(0, {
    type: 'approvals.changed',
    planVersion: 1,
    actor: 'maintainer',
    changes: o.plan.tasks.map((t) => ({ taskId: t.id, approved: true })),
  });
  feed(0, { type: 'start', actor: 'maintainer', baseSha: 'base', planVersion: 1 });

  const perform = (at: number, fx: Effect) => {
    switch (fx.type) {
      case 'dispatch-task': {
        if (!fx.send) return; // A stopped task's run: the sim answers every dispatch at once.
        const runId = runIds++;
        feed(at, { type: 'task.dispatched', taskId: fx.taskId, attempt: fx.attempt, runId });
        const outcome = o.agentOutcome?.(fx.taskId, fx.attempt) ?? 'success';
        const costUsd = o.costUsd?.(fx.taskId, fx.attempt, fx.budgetUsd) ?? fx.budgetUsd / 2;
        feed(at + o.taskMs(fx.taskId, fx.attempt), {
          type: 'task.finished',
          taskId: fx.taskId,
          attempt: fx.attempt,
          outcome,
          usage: { costUsd },
        });
        return;
      }
      case 'land-task': {
        if (o.conflict?.(fx.taskId, fx.attempt)) {
          feed(at, {
            type: 'landing.result',
            taskId: fx.taskId,
            attempt: fx.attempt,
            landing: fx.n,
            result: { kind: 'conflict', paths: ['src/conflicted.ts'] },
          });
          return;
        }
        // Merged into the candidate's ref, which holds `tip` (the queue's tip, or the members
        // merged into it before).
        const sha = `sha${++shas}`;
        const landed: Landed = { taskId: fx.taskId, parent: contents.get(fx.tip) };
        contents.set(sha, landed);
        feed(at, {
          type: 'landing.result',
          taskId: fx.taskId,
          attempt: fx.attempt,
          landing: fx.n,
          result: { kind: 'merged', sha },
        });
        return;
      }
      case 'judge-ci': {
        const red = o.ciRed?.(fx.sha, landedIds(contents.get(fx.sha))) ?? false;
        feed(
          at + o.ciMs,
          red
            ? { type: 'ci.verdict', sha: fx.sha, verdict: 'red', failedChecks: ['test'] }
            : { type: 'ci.verdict', sha: fx.sha, verdict: 'green' },
        );
        return;
      }
      case 'judge-base':
        // The simulated default branch is green (its CI judged before the goal started).
        feed(at + o.ciMs, { type: 'base.verdict', sha: fx.sha, verdict: 'green' });
        return;
      case 'reset-goal-ref':
        goalRefs.push({ sha: fx.toSha, forced: true });
        feed(at, { type: 'goal-ref.reset', fromSha: fx.fromSha });
        return;
      case 'advance-goal-ref':
        goalRefs.push({ sha: fx.toSha, forced: false });
        feed(at, { type: 'goal-ref.advanced', sha: fx.toSha });
        // The App moves the branch and deletes the refs it carries in one request.
        if (fx.dropRefs) feed(at, { type: 'candidate-refs.deleted', upTo: fx.dropRefs.upTo });
        return;
      case 'delete-candidate-refs':
        feed(at, { type: 'candidate-refs.deleted', upTo: fx.upTo });
        return;
      case 'ask-recovery':
        feed(at, {
          type: 'recovery.proposed',
          taskId: fx.taskId,
          attempt: fx.attempt,
          rootCause: 'simulated failure',
          action: o.recovery?.(fx) ?? { kind: 'retry', guidance: 'try again' },
        });
        return;
      case 'create-goal-branch':
        goalRefs.push({ sha: fx.sha, forced: false });
        feed(at, { type: 'goal-branch.created', sha: fx.sha });
        return;
      case 'open-draft-pr':
        feed(at, { type: 'pr.opened', number: 2 });
        return;
      case 'mark-pr-ready':
        feed(at, { type: 'pr.marked-ready', number: fx.number });
        return;
      case 'update-pr-body':
        feed(at, { type: 'pr.account-updated', number: fx.number, finishedAt: fx.finishedAt });
        return;
      case 'cancel-run':
        feed(at, { type: 'run.cancel-sent', taskId: fx.taskId, attempt: fx.attempt });
        return;
      case 'escalate':
        feed(at, { type: 'escalation.posted', taskId: fx.taskId, attempt: fx.attempt });
        return;
      case 'report-outcome':
        feed(at, { type: 'outcome.reported', taskId: fx.taskId, attempt: fx.attempt });
        return;
      // A run's result was already scheduled when it was dispatched; what GitHub shows (the
      // comment and labels) changes nothing the sim models.
      case 'collect-run':
      case 'set-labels':
      case 'update-plan-comment':
        return;
    }
  };

  for (let next = queue.pop(); next && steps < max; next = queue.pop()) {
    const event = { ...next.item, at: next.at };
    for (const e of o.deliver ? o.deliver(event) : [event]) {
      const before = state;
      const result = step(state, e);
      steps++;
      events.push(e);
      const owed = result.ignored ? [] : owedEffects(result.state, e.at);
      o.observe?.(e, result, before, owed, tasksIn);
      state = result.state;
      if (result.ignored) continue;
      last = e.at;
      // Carried out once each, by key, as the App's executor does; its answers come back as events.
      for (const fx of owed) {
        if (fx.type === 'set-labels' || fx.type === 'update-plan-comment' || done.has(fx.key))
          continue;
        done.add(fx.key);
        effects.push(fx);
        perform(e.at, fx);
      }
    }
  }
  return {
    state,
    events,
    effects,
    makespanMs: last - (state.startedAt ?? 0),
    steps,
    goalRefs,
    tasksIn,
  };
}
