import type { CriterionOutcome } from '../core/criteria.js';
import type { Effect, FailureInfo } from '../core/effects.js';
import { awaitedLand } from '../core/schedule.js';
import type { TaskResult } from '../core/task-result.js';
import { PlannerError } from '../planner/errors.js';
import { charge } from './charges.js';
import { inert, quoteOutside } from './outside-text.js';
import { readCi } from './ci-verdict.js';
import { distinctId, ensureDispatched } from './dispatch.js';
import type { GoalContext } from './goal-context.js';
import { gitHubStatus } from './github/github-error.js';
import type { Hint } from './hints.js';
import { landTask, resetGoalRef } from './landing.js';
import { ensurePullRequest, markReady, updatePullRequestBody } from './pull-request.js';
import { recoverFailed } from './recovery.js';
import { finishedEvent, readTaskResult, type RunFacts } from './task-results.js';

/** Rounds of effects one reconcile carries out before it leaves the rest to the next one. */
const MAX_ROUNDS = 50;

type RunHint = Extract<Hint, { kind: 'run' }>;

/**
 * A started goal: match runs to their attempts, read finished ones, then carry out what the core
 * asks (land, judge, reset, recover, open and finish the PR, escalate) until it asks nothing more,
 * dispatch what is ready, and write the state last, so an effect cut short by a crash is asked for
 * again. Work the state itself calls for (a landing awaiting its merge, a failed task awaiting
 * recovery, a PR not yet opened) is done even when its effect was lost.
 */
export async function runTasks(g: GoalContext, hints: readonly Hint[]): Promise<void> {
  const { session } = g;
  const s = session.state;
  if (!s?.plan || s.startedAt === undefined) return;
  const sweep = hints.some((h) => h.kind === 'poke');
  const statusBefore = s.status;
  matchRuns(g, hints);
  await collectFinished(g, hints, sweep);
  syncBreaker(g);

  const wasReady = s.pr.ready;
  const failures = new Map<string, FailureInfo>();
  const work: Work = { done: new Set(), failures, asked: new Set(), judged: new Set() };
  const drain = async () => {
    for (const e of [...session.effects.splice(0), ...landing(g)]) {
      if (work.done.has(e.key)) continue;
      work.done.add(e.key);
      await carryOut(g, e, failures);
    }
  };
  let ticked = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await drain();
    syncBreaker(g);
    // Once per failed attempt and reconcile: a planner that keeps failing is asked on the next pass.
    await recoverFailed(g, failures, work.asked);
    const sha = session.state!.landing?.validating;
    if (
      sha &&
      !work.judged.has(sha) &&
      (sweep || hints.some((h) => h.kind === 'ci' && h.sha === sha))
    ) {
      work.judged.add(sha);
      const reading = await readCi(g, sha, g.deps.now());
      if (reading.kind === 'verdict') session.apply(reading.event);
    }
    if (!ticked && session.state!.landing?.validating) {
      ticked = true; // CI's time limit (ci.policy), judged by the clock
      session.apply({ type: 'tick', at: g.deps.now() });
    }
    if (session.effects.length === 0 && landing(g).every((e) => work.done.has(e.key))) break;
  }
  await ensurePullRequest(g);
  const now = session.state!;
  if (now.pr.ready && !wasReady) await markReady(g);
  else if (now.status === 'partial' && statusBefore !== 'partial') await updatePullRequestBody(g);
  await ensureDispatched(g);
  // What dispatching asked for (a cancel of a run found for a stopped task) is done now too.
  await drain();
  announceBudgetPause(g);
  await session.flush();
}

/** What one reconcile has done already, so nothing is done twice in it. */
interface Work {
  /** Keys of the effects carried out. */
  done: Set<string>;
  /** Failures the core reported, by `T3:a2`, for the recovery planner. */
  failures: Map<string, FailureInfo>;
  /** Failed attempts the recovery planner was asked about. */
  asked: Set<string>;
  /** Shas whose CI was read. */
  judged: Set<string>;
}

async function carryOut(
  g: GoalContext,
  e: Effect,
  failures: Map<string, FailureInfo>,
): Promise<void> {
  const { owner, repo } = g.ref;
  switch (e.type) {
    case 'create-goal-branch':
      await g.github.createBranch(e.branch, e.sha).catch(ignoreStatus(422)); // It exists (this ran before, or an earlier goal left it).
      return;
    case 'cancel-run':
      await g.github.cancelRun(e.runId).catch(ignoreStatus(409)); // The run already finished.
      return;
    case 'land-task': {
      const result = await landTask(g, e).catch(
        refusedFor(g, `merge ${e.taskId} into \`${e.into}\``),
      );
      if (!result) return;
      if (result.kind === 'nothing-to-merge')
        g.session.reply(
          `${e.taskId} changed nothing: there was nothing to merge, and its criteria passed on the goal branch as it is, so it counts as done.`,
          { once: true },
        );
      g.session.apply({
        type: 'landing.result',
        at: g.deps.now(),
        taskId: e.taskId,
        attempt: e.attempt,
        landing: e.n,
        result,
      });
      return;
    }
    case 'reset-goal-ref':
      await resetGoalRef(g, e).catch(
        refusedFor(
          g,
          `reset \`${e.branch}\` from the red ${e.fromSha.slice(0, 7)} to the last green ${e.toSha.slice(0, 7)} (do it by hand: \`git push --force origin ${e.toSha}:refs/heads/${e.branch}\`)`,
        ),
      );
      return;
    case 'ask-recovery':
      failures.set(`${e.taskId}:a${e.attempt}`, e.failure);
      return;
    case 'report-outcome':
      if (g.config.ok)
        g.deps.breakers.record(
          `${owner}/${repo}`,
          e.ok,
          g.deps.now(),
          breakerSettings(g.config.value),
        );
      return;
    case 'escalate':
      g.session.reply(escalation(g, e), { once: true });
      return;
    // Made from the state: dispatches (ensureDispatched), the PR (opened once requested, made
    // ready once the state says so), the comment and labels (flush).
    case 'dispatch-task':
    case 'update-plan-comment':
    case 'set-labels':
    case 'open-draft-pr':
    case 'mark-pr-ready':
      return;
  }
}

/** Runs reported by `workflow_run` that the state does not know yet, matched by dispatch id. */
function matchRuns(g: GoalContext, hints: readonly Hint[]): void {
  const s = g.session.state!;
  for (const h of hints) {
    if (h.kind !== 'run') continue;
    const i = s.tasks.findIndex(
      (t, k) =>
        t.runId === undefined && distinctId(s, s.plan!.tasks[k]!.id, t.attempt) === h.distinctId,
    );
    const t = s.tasks[i];
    if (t && (t.status === 'running' || t.reservedMicros > 0))
      g.session.apply({
        type: 'task.dispatched',
        at: g.deps.now(),
        taskId: s.plan!.tasks[i]!.id,
        attempt: t.attempt,
        runId: h.runId,
      });
  }
}

/**
 * Runs that finished: from their webhook, or on a sweep by asking GitHub about every run still
 * going (a lost `workflow_run` webhook). Each result is read from its artifact, and reviewed by
 * the planner first when the config asks for reviews.
 */
async function collectFinished(
  g: GoalContext,
  hints: readonly Hint[],
  sweep: boolean,
): Promise<void> {
  const s = g.session.state!;
  for (const [i, t] of s.tasks.entries()) {
    const going = t.status === 'running' || t.reservedMicros > 0;
    if (!going || t.runId === undefined) continue;
    const runId = t.runId;
    let run: RunFacts | undefined = hints.find(
      (h): h is RunHint => h.kind === 'run' && h.runId === runId,
    );
    if ((!run || run.status !== 'completed') && sweep) {
      const found = await g.github.getRun(runId);
      run = { status: found.status, conclusion: found.conclusion };
    }
    if (run?.status !== 'completed') continue;
    const task = s.plan!.tasks[i]!;
    const read = await readTaskResult(g, runId, task.id, t.attempt);
    const event = finishedEvent(g.deps.now(), task.id, t.attempt, run, read);
    const review =
      event.outcome === 'success' && 'result' in read && t.status === 'running'
        ? await reviewResult(g, i, read.result, read.patch)
        : { verdict: 'PASSED' as const };
    if (review === undefined) continue; // The review could not be made: the next pass tries again.
    if (review.verdict === 'PASSED') {
      g.session.apply(event);
      continue;
    }
    const why =
      review.verdict === 'GAPS_FOUND'
        ? `the review found gaps: ${review.feedback}`
        : `the review needs a human: ${review.question}`;
    // What a rejected attempt learned is not handed on.
    g.session.apply({ ...event, outcome: 'partial', summary: why, findings: undefined });
    g.session.apply({
      type: 'recovery.proposed',
      at: g.deps.now(),
      taskId: task.id,
      attempt: t.attempt,
      rootCause: why,
      action:
        review.verdict === 'GAPS_FOUND'
          ? { kind: 'retry', guidance: review.feedback }
          : { kind: 'escalate', question: review.question },
    });
  }
}

/** The planner's review of a successful attempt, when the config asks for one. */
async function reviewResult(g: GoalContext, i: number, result: TaskResult, patch: string) {
  if (!g.config.ok || !g.config.value.agent.review) return { verdict: 'PASSED' as const };
  const task = g.session.state!.plan!.tasks[i]!;
  try {
    const { value, calls } = await g.deps.planner(g.config.value).review({
      task,
      diff: patch,
      criteria: result.criteria.outcomes as CriterionOutcome[],
      summary: result.summary,
    });
    charge(g, 'review', calls);
    return value;
  } catch (e) {
    if (!(e instanceof PlannerError)) throw e;
    charge(g, 'review', e.calls);
    g.session.reply(
      `The review of ${task.id} could not be made: ${e.userMessage} Gantry tries again on its next pass.`,
      { once: true },
    );
    return undefined;
  }
}

/** The repository and global breakers, as this goal's gate. */
function syncBreaker(g: GoalContext): void {
  const s = g.session.state!;
  if (!g.config.ok || (s.status !== 'running' && s.status !== 'paused')) return;
  const gate = g.deps.breakers.gate(
    `${g.ref.owner}/${g.ref.repo}`,
    g.deps.now(),
    breakerSettings(g.config.value),
  );
  if (gate !== s.breaker) g.session.apply({ type: 'breaker.changed', at: g.deps.now(), gate });
}

const breakerSettings = (c: { breaker: { threshold: number; cooldownMinutes: number } }) => ({
  threshold: c.breaker.threshold,
  cooldownMs: c.breaker.cooldownMinutes * 60_000,
});

/** The comment that asks a person: mentions the approver, says what failed and what was tried. */
function escalation(g: GoalContext, e: Extract<Effect, { type: 'escalate' }>): string {
  const s = g.session.state!;
  const i = s.plan!.tasks.findIndex((t) => t.id === e.taskId);
  const t = s.tasks[i];
  const tried = t ? `${t.attempt} attempt${t.attempt === 1 ? '' : 's'}` : 'its attempts';
  return [
    `${e.mention ? `@${e.mention} ` : ''}**${e.taskId} needs a human** after ${tried}.`,
    '',
    quoteOutside(e.question),
    '',
    `Tasks that do not depend on ${e.taskId} keep going. \`/gantry retry ${e.taskId}\` gives it one more attempt; \`/gantry skip ${e.taskId}\` goes on without it.`,
  ].join('\n');
}

/** A goal the budget stopped: say how to go on, once. */
function announceBudgetPause(g: GoalContext): void {
  const s = g.session.state!;
  if (s.status !== 'paused' || s.pausedFor !== 'budget') return;
  g.session.reply(
    [
      `**Gantry paused this goal: the budget cannot cover the next task.** ${inert(s.note ?? '')}`,
      '',
      `To go on, a maintainer can raise \`budget.goalUsd\` in \`.github/gantry.yml\` and comment \`/gantry resume\`, or comment \`/gantry budget <usd>\` with the new total for this goal.`,
    ].join('\n'),
    { once: true },
  );
}

const ignoreStatus =
  (status: number) =>
  (e: unknown): void => {
    if (gitHubStatus(e) !== status) throw e;
  };

/**
 * GitHub refused a write for good (403, 422: a branch protection rule or ruleset covering
 * `gantry/*`, say): retrying cannot help, so the goal pauses and a maintainer is told what to
 * change. Anything else is thrown (a transient error retries the job).
 */
function refusedFor(g: GoalContext, what: string) {
  return (e: unknown): undefined => {
    const status = gitHubStatus(e);
    if (status !== 403 && status !== 422) throw e;
    g.session.reply(
      `Gantry could not ${what}: GitHub answered ${status} (${inert((e as Error).message)}). A branch protection rule or ruleset on \`gantry/*\` branches must let the App merge and force-push there. Fix it, then comment \`/gantry resume\`.`,
      { once: true },
    );
    g.session.apply({ type: 'pause', at: g.deps.now(), actor: 'gantry' });
    return undefined;
  };
}

/** The merge the landing in progress waits for (none, or one). */
const landing = (g: GoalContext): Effect[] => {
  const e = awaitedLand(g.session.state!);
  return e ? [e] : [];
};
