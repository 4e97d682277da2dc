import type { RecoveryAction } from '../../src/core/events.js';
import type { GoalState } from '../../src/core/goal.js';
import type { Plan } from '../../src/core/plan.js';
import type { Planner } from '../../src/planner/planner.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import type { Harness } from './app-harness.js';
import { taskResult } from './task-result.js';

/**
 * What the outside world does, the same answers the simulator's options give: how long an agent
 * takes and whether it succeeds, how long CI takes and what it says about a content (the landed
 * `task/attempt`s, sorted), which merges conflict, and what recovery answers.
 */
export interface WorldAnswers {
  plan: Plan;
  /** `.github/gantry.yml`. */
  config: string;
  taskMs: (taskId: string, attempt: number) => number;
  ciMs: number;
  agentOutcome: (taskId: string, attempt: number) => 'success' | 'failure';
  ciRed: (content: readonly string[]) => boolean;
  conflict: (taskId: string, attempt: number) => boolean;
  recovery: (taskId: string, attempt: number) => RecoveryAction;
  costUsd: number;
  /** What goes wrong around the n-th delivery; none of it may change the outcome. */
  chaos?: (n: number) => Chaos;
}

/**
 * Trouble the App must take in its stride: a restart before the delivery (nothing kept in
 * memory), the next call of a write failing once with a 502 (before or after GitHub did it), the
 * webhook lost (the timer's sweep makes up for it, at the same instant), delivered twice, or
 * followed by a sweep.
 */
export interface Chaos {
  restart?: boolean;
  fail?: {
    method: 'merge' | 'dispatchWorkflow' | 'updateComment' | 'updateBranch';
    /** GitHub did it; only the answer was lost. */
    done: boolean;
  };
  lose?: boolean;
  duplicate?: boolean;
  sweep?: boolean;
}

/** One dispatch the App made, with the facts around it when its reconcile settled. */
export interface Dispatch {
  taskId: string;
  attempt: number;
  baseSha: string;
  /** Tasks whose work the base sha contains. */
  baseContent: string[];
  /** The App's state right after (the reconcile that dispatched it wrote it). */
  state: GoalState;
}

export interface AppRun {
  final: GoalState;
  dispatches: Dispatch[];
  /** Goal branch heads seen after each settled delivery, with CI's conclusion on each. */
  heads: { sha: string; conclusion: string | null | undefined }[];
  /** The default branch head the goal started from. */
  base: string;
  /** Deliveries made (webhooks and sweeps), to bound the run. */
  steps: number;
  /** Merges the world refused as conflicts. */
  conflicts: number;
  /** How often each kind of chaos happened. */
  chaos: Record<keyof Chaos, number>;
}

type Pending = { kind: 'finish-run'; runId: number } | { kind: 'finish-ci'; sha: string };

/**
 * Drive the real App (in a real Probot, against GitHub in memory) through one world: label,
 * approve, start, then answer what is pending in time order, as the simulator's queue does: a
 * dispatched run finishes `taskMs` later with the world's outcome, CI on every sha the App merged
 * finishes `ciMs` later with the world's verdict on its content. Stops when nothing is pending,
 * or after `maxSteps` deliveries.
 */
export async function driveApp(h: Harness, w: WorldAnswers, maxSteps = 400): Promise<AppRun> {
  const { github } = h;
  const code = github.code;
  github.config = w.config;
  h.planner = worldPlanner(w);
  // CI runs until the driver says what it concluded, so verdicts come in time order.
  code.ci = () => 'running';
  let conflicts = 0;
  const merge = code.merge.bind(code);
  code.merge = (base, head) => {
    // The App merges the published commit by its sha.
    const m = /^(T\d+)\/(\d+)$/.exec(attemptOf.get(head) ?? '');
    if (!m || !w.conflict(m[1]!, Number(m[2]))) return merge(base, head);
    conflicts++;
    return { kind: 'conflict' };
  };
  /** The attempt each task-branch commit is, for CI's verdict by content. */
  const attemptOf = new Map<string, string>();
  const content = (sha: string) =>
    [...code.ancestors(sha)].flatMap((c) => attemptOf.get(c) ?? []).sort();

  await h.deliver('issues', github.label('gantry'));
  await h.deliver('issue_comment', github.addComment('/gantry approve', 'maint').payload);
  await h.deliver('issue_comment', github.addComment('/gantry start', 'maint').payload);

  const base = github.head;
  const queue = new EventQueue<Pending>();
  const scheduledRuns = new Set<number>();
  const scheduledCi = new Set<string>();
  const run: AppRun = {
    final: h.state(),
    dispatches: [],
    heads: [],
    base,
    steps: 0,
    conflicts: 0,
    chaos: { restart: 0, fail: 0, lose: 0, duplicate: 0, sweep: 0 },
  };

  /** After every settled delivery: what the App did, and what the world now owes it. */
  const settled = () => {
    const state = h.state();
    // Dispatches GitHub carried out (a call refused before it was made made no run).
    for (const { inputs } of github.runs.slice(run.dispatches.length)) {
      const baseSha = inputs.base_sha!;
      run.dispatches.push({
        taskId: inputs.task_id!,
        attempt: Number(inputs.attempt),
        baseSha,
        baseContent: code.tasksIn(baseSha),
        state,
      });
    }
    const head = github.refs.get(state.branch);
    if (head !== undefined)
      run.heads.push({
        sha: head,
        conclusion: code.suites.find((s) => s.sha === head && s.runs.length > 0)?.conclusion,
      });
    for (const r of github.runs)
      if (!scheduledRuns.has(r.id) && r.status !== 'completed') {
        scheduledRuns.add(r.id);
        const at = h.clock.now + w.taskMs(r.inputs.task_id!, Number(r.inputs.attempt));
        queue.push(at, { kind: 'finish-run', runId: r.id });
      }
    for (const s of code.suites)
      if (s.status === 'in_progress' && !scheduledCi.has(s.sha)) {
        scheduledCi.add(s.sha);
        queue.push(h.clock.now + w.ciMs, { kind: 'finish-ci', sha: s.sha });
      }
    run.final = state;
    run.conflicts = conflicts;
  };

  /**
   * Injected failures not met yet (method -> log length when injected). At most two, so one job
   * meets at most two and its third try (the harness retries twice) gets through.
   */
  const failing = new Map<string, number>();
  const deliver = async (name: string, payload: object) => {
    run.steps++;
    const { fail, ...c } = w.chaos?.(run.steps) ?? {};
    for (const [method, since] of failing)
      if (github.log.slice(since).some((x) => x.method === method)) failing.delete(method);
    if (fail && failing.size < 2 && !failing.has(fail.method)) {
      github.failNext(fail.method, 502, { done: fail.done });
      failing.set(fail.method, github.log.length);
      run.chaos.fail++;
    }
    for (const k of ['restart', 'lose', 'duplicate', 'sweep'] as const) if (c[k]) run.chaos[k]++;
    if (c.restart) await h.restart();
    await (c.lose ? h.sweep() : h.deliver(name, payload));
    if (c.duplicate) await h.deliver(name, payload);
    if (c.sweep) await h.sweep();
    settled();
  };

  settled();
  for (let next = queue.pop(); next && run.steps < maxSteps; next = queue.pop()) {
    h.clock.now = next.at;
    const p = next.item;
    if (p.kind === 'finish-run') {
      const r = github.runs.find((x) => x.id === p.runId)!;
      if (r.status === 'completed') continue; // cancelled by the App
      const taskId = r.inputs.task_id!;
      const attempt = Number(r.inputs.attempt);
      const ok = w.agentOutcome(taskId, attempt) === 'success';
      const result = taskResult(taskId, attempt, {
        status: ok ? 'success' : 'failure',
        reason: ok ? 'All criteria passed.' : 'npm test failed',
        filesChanged: [`src/${taskId.toLowerCase()}.ts`],
        usage: { ...taskResult(taskId, attempt).usage, costUsd: w.costUsd },
      });
      const payload = github.finishRun(r.id, result);
      const pushed = github.refs.get(`gantry/1/${taskId}/${attempt}`);
      if (ok && pushed) attemptOf.set(pushed, `${taskId}/${attempt}`);
      await deliver('workflow_run', payload);
    } else {
      code.finishCi(p.sha, w.ciRed(content(p.sha)) ? 'failure' : 'success');
      for (const echo of github.echoes.splice(0)) await deliver(echo.name, echo.payload);
    }
  }
  return run;
}

/** The world's plan, and its recovery answers per failed attempt. */
function worldPlanner(w: WorldAnswers): Planner {
  const scripted = new ScriptedPlanner({ plans: [w.plan] }, 'random world');
  return {
    label: scripted.label,
    plan: (req) => scripted.plan(req),
    recover: (req) =>
      Promise.resolve({
        value: {
          rootCause: 'a random world',
          action: w.recovery(req.taskId, req.attempts.at(-1)?.attempt ?? 0),
        },
        calls: [],
      }),
    extractKnowledge: (req) => scripted.extractKnowledge(req),
    review: (req) => scripted.review(req),
    estimate: (plan) => scripted.estimate(plan),
  };
}
