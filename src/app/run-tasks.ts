import type { CriterionOutcome } from '../core/criteria.js';
import type { Effect } from '../core/effects.js';
import { goalIdentity, isRunning } from '../core/goal.js';
import { inert } from '../core/inert.js';
import { effectKey } from '../core/effect-key.js';
import { owedEffects } from '../core/owed-effects.js';
import { parentProblem } from '../core/steps/runs.js';
import type { TaskResult } from '../core/task-result.js';
import { PlannerError } from '../planner/errors.js';
import { charge } from './charges.js';
import { GitHubRateLimited, gitHubStatus } from './github/github-error.js';
import { readCi } from './ci-verdict.js';
import { dispatchOwed, distinctId, type RunListing } from './dispatch.js';
import type { GoalContext } from './goal-context.js';
import { runHintOf, type Hint } from './hints.js';
import { advanceGoalRef, deleteCandidateRefs, landTask, resetGoalRef } from './landing.js';
import { CandidateRef } from '../core/names.js';
import { ensurePullRequest, markReady, updatePullRequestBody } from './pull-request.js';
import { recoverAttempt } from './recovery.js';
import { keepGoalFindings } from './repo-knowledge.js';
import { withFindings } from './task-knowledge.js';
import { announceBasePause, announceBudgetPause, escalation, refusal } from './goal-replies.js';
import {
  finishedEvent,
  publishes,
  finishedRun,
  readPublishRecord,
  readTaskResult,
  type RunFacts,
} from './task-results.js';

/** Rounds of derived work one reconcile carries out before it leaves the rest to the next one. */
const MAX_ROUNDS = 50;

/** Written by `flush` at the end of the pass, from the state: the state is written last. */
const AT_FLUSH: ReadonlySet<Effect['type']> = new Set(['update-plan-comment', 'set-labels']);

/** What one pass has done already, so nothing is done twice in it. */
interface Pass {
  hints: readonly Hint[];
  /** A sweep asks GitHub about everything still going (lost webhooks). */
  sweep: boolean;
  /** Keys of the effects carried out. */
  done: Set<string>;
  /** Runs were read (once per pass, for every run going). */
  collected: boolean;
  /** Attempts whose run was matched or dispatched in this pass (all waiting ones at once). */
  dispatched: Set<string>;
  /** Recent task runs, listed once in the pass. */
  listing: RunListing;
}

/**
 * A started goal: carry out what the core says it owes (`owedEffects`), each effect once by key,
 * record each result as an event, and derive again until nothing new is owed; then write the
 * state last (the comment and labels), so work cut short by a crash is owed again next time.
 */
export async function runTasks(g: GoalContext, hints: readonly Hint[]): Promise<void> {
  const { session } = g;
  const s = session.state;
  if (!s?.plan || s.startedAt === undefined) return;
  const pass: Pass = {
    hints,
    sweep: hints.some((h) => h.kind === 'poke'),
    done: new Set(),
    collected: false,
    dispatched: new Set(),
    listing: {},
  };
  matchRuns(g, hints);
  let ticked = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    syncBreaker(g);
    const owed = owedNow(g).filter((e) => !AT_FLUSH.has(e.type) && !pass.done.has(e.key));
    if (owed.length === 0) {
      // CI's time limit (ci.policy), judged by the clock once what CI said was read: after a
      // long outage, a verdict that came meanwhile counts, not the time that passed.
      const st = session.state!;
      const inCi = st.queue.some((c) => c.sha !== undefined && !c.verdict);
      if (ticked || !(inCi || st.baseVerdict?.verdict === 'pending')) break;
      ticked = true;
      session.apply({ type: 'tick', at: g.deps.now() });
      continue;
    }
    for (const e of owed) {
      // An earlier effect of this round may have settled this one (a run read, a recovery).
      if (!owedNow(g).some((x) => x.key === e.key)) continue;
      pass.done.add(e.key);
      await carryOut(g, e, pass);
    }
  }
  announceBudgetPause(g);
  announceBasePause(g);
  await session.flush();
  await keepGoalFindings(g);
}

const owedNow = (g: GoalContext): Effect[] => owedEffects(g.session.state!, g.deps.now());

async function carryOut(g: GoalContext, e: Effect, pass: Pass): Promise<void> {
  const { owner, repo } = g.ref;
  const at = () => g.deps.now();
  switch (e.type) {
    case 'create-goal-branch':
      // It exists (this ran before, or an earlier goal left it).
      await g.github.createBranch(e.branch, e.sha).catch(ignoreStatus(422));
      g.session.apply({ type: 'goal-branch.created', at: at(), sha: e.sha });
      return;
    case 'dispatch-task': {
      if (pass.dispatched.has(e.key)) return;
      // Every attempt without a run at once: one listing of recent runs serves them all.
      const owed = owedNow(g).filter(
        (x): x is typeof e => x.type === 'dispatch-task' && !pass.dispatched.has(x.key),
      );
      for (const x of owed) pass.dispatched.add(x.key);
      await dispatchOwed(g, owed, pass.listing);
      return;
    }
    case 'collect-run':
      if (pass.collected) return;
      pass.collected = true;
      await collectFinished(g, pass.hints, pass.sweep);
      return;
    case 'cancel-run':
      await g.github.cancelRun(e.runId).catch(ignoreStatus(409)); // The run already finished.
      g.session.apply({ type: 'run.cancel-sent', at: at(), taskId: e.taskId, attempt: e.attempt });
      return;
    case 'land-task': {
      if (!g.config.ok) {
        // Its blockedPaths decide what may land: nothing lands until the file is fixed.
        g.session.reply(
          `Gantry does not land ${e.taskId} while \`.github/gantry.yml\` is invalid: its \`blockedPaths\` decide what may land. Fix the file; landing goes on at the next pass.`,
          { once: true },
        );
        return;
      }
      const result = await landTask(g, e, g.config.value.blockedPaths).catch(
        refusedFor(g, `merge ${e.taskId} into \`${e.into}\``),
      );
      if (!result) return;
      if (result.kind === 'nothing-to-merge')
        g.session.reply(
          `${e.taskId} changed nothing: there was nothing to merge, and its criteria passed on the goal branch as it is, so it counts as done.`,
          { once: true },
        );
      if (result.kind === 'refused')
        g.session.reply(
          refusal(
            e.taskId,
            e.attempt,
            'its published commit failed the checks at landing',
            result.problems,
          ),
          { once: true },
        );
      g.session.apply({
        type: 'landing.result',
        at: at(),
        taskId: e.taskId,
        attempt: e.attempt,
        landing: e.n,
        result,
      });
      return;
    }
    case 'judge-ci': {
      // CI is read when it says something about this sha, or on a sweep (a lost webhook).
      if (!pass.sweep && !pass.hints.some((h) => h.kind === 'ci' && h.sha === e.sha)) return;
      const c = g.session.state!.queue.find((x) => x.sha === e.sha);
      const ref = c && String(new CandidateRef(g.ref.issue, c.n));
      const reading = await readCi(g, e.sha, at(), ref);
      if (reading.kind === 'verdict') g.session.apply(reading.event);
      return;
    }
    case 'judge-base': {
      // Read when CI says something about the base, on a sweep, and in a pass a person or the
      // start caused (the default branch's CI may have judged the base before the goal began);
      // not for every task's run.
      const asked = pass.hints.some(
        (h) => (h.kind === 'ci' && h.sha === e.sha) || (h.kind !== 'ci' && h.kind !== 'run'),
      );
      if (!asked && !pass.done.has(effectKey('branch', g.ref.issue))) return;
      const reading = await readCi(g, e.sha, at());
      if (reading.kind === 'verdict') g.session.apply({ ...reading.event, type: 'base.verdict' });
      return;
    }
    case 'reset-goal-ref': {
      const reset = await resetGoalRef(g, e).then(
        () => true,
        refusedFor(
          g,
          `reset \`${e.branch}\` from the red ${e.fromSha.slice(0, 7)} to the last green ${e.toSha.slice(0, 7)} (do it by hand: \`git push --force origin ${e.toSha}:refs/heads/${e.branch}\`)`,
        ),
      );
      if (reset) g.session.apply({ type: 'goal-ref.reset', at: at(), fromSha: e.fromSha });
      return;
    }
    case 'advance-goal-ref': {
      const moved = await advanceGoalRef(g, e).catch(
        refusedFor(g, `fast-forward \`${e.branch}\` to the green ${e.toSha.slice(0, 7)}`),
      );
      if (moved) {
        g.session.apply({ type: 'goal-ref.advanced', at: at(), sha: e.toSha });
        if (moved.refsUpTo !== undefined)
          g.session.apply({ type: 'candidate-refs.deleted', at: at(), upTo: moved.refsUpTo });
      } else if (moved === false) {
        g.session.reply(
          `Gantry cannot fast-forward \`${e.branch}\` to the green ${e.toSha.slice(0, 7)}: someone pushed to it a commit that is not in the goal's queue. Gantry never force-pushes the goal branch: move it back to ${e.fromSha.slice(0, 7)} (or to a commit under ${e.toSha.slice(0, 7)}), then comment \`/gantry resume\`.`,
          { once: true },
        );
        g.session.apply({ type: 'pause', at: at(), actor: 'gantry' });
      }
      return;
    }
    case 'delete-candidate-refs':
      await deleteCandidateRefs(g, e);
      g.session.apply({ type: 'candidate-refs.deleted', at: at(), upTo: e.upTo });
      return;
    case 'ask-recovery':
      // Once per failed attempt and pass: a planner that keeps failing is asked on the next pass.
      await recoverAttempt(g, e);
      return;
    case 'report-outcome':
      if (g.config.ok)
        await g.deps.breakers.record(
          `${owner}/${repo}`,
          e.ok,
          at(),
          breakerSettings(g.config.value),
          // The same outcome reported again (a pass cut short before its state was written).
          `${owner}/${repo}#${goalIdentity(g.session.state!)}:${e.key}`,
        );
      g.session.apply({ type: 'outcome.reported', at: at(), taskId: e.taskId, attempt: e.attempt });
      syncBreaker(g); // Before a retry this pass might start.
      return;
    case 'escalate':
      await g.session.post(await escalation(g, e));
      g.session.apply({
        type: 'escalation.posted',
        at: at(),
        taskId: e.taskId,
        attempt: e.attempt,
      });
      return;
    case 'open-draft-pr':
      await ensurePullRequest(g);
      return;
    case 'mark-pr-ready':
      await markReady(g);
      g.session.apply({ type: 'pr.marked-ready', at: at(), number: e.number });
      return;
    case 'update-pr-body':
      await updatePullRequestBody(g);
      g.session.apply({
        type: 'pr.account-updated',
        at: at(),
        number: e.number,
        finishedAt: e.finishedAt,
      });
      return;
    case 'update-plan-comment':
    case 'set-labels':
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
    const t = s.tasks.at(i);
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
    let run: RunFacts | undefined = runHintOf(hints, runId);
    if ((!run || run.status !== 'completed') && sweep) {
      const found = await g.github.getRun(runId);
      run = { status: found.status, conclusion: found.conclusion, attempt: found.attempt };
    }
    if (run?.status !== 'completed') continue;
    const task = s.plan!.tasks[i]!;
    const attempt = { goal: g.ref.issue, taskId: task.id, attempt: t.attempt };
    const finished = finishedRun(g, runId, run.attempt);
    const read = await readTaskResult(g, finished, task.id, t.attempt);
    const publishPartial = g.config.ok && g.config.value.agent.publishPartial;
    // No second download when the result came from the publish artifact (it holds the record).
    const published =
      'result' in read && publishes(read.result, publishPartial)
        ? await readPublishRecord(g, finished, {
            ...attempt,
            distinctId: distinctId(s, task.id, t.attempt),
          })
        : undefined;
    const event = finishedEvent(g.deps.now(), attempt, run, read, published);
    const wrongParent = parentProblem(event.published, t.baseSha);
    if (t.status === 'running' && (event.refused?.length || wrongParent))
      g.session.reply(
        event.refused?.length
          ? refusal(task.id, t.attempt, 'the publish policy refused its patch', event.refused)
          : refusal(task.id, t.attempt, 'its publish record does not fit', [wrongParent!]),
        { once: true },
      );
    const review =
      event.outcome === 'success' && 'result' in read && t.status === 'running'
        ? await reviewResult(g, i, read.result, read.patch)
        : { verdict: 'PASSED' as const };
    if (review === undefined) continue; // The review could not be made: the next pass tries again.
    if (review.verdict === 'PASSED' || event.outcome !== 'success') {
      const landing = 'result' in read && t.status === 'running';
      g.session.apply(
        landing ? await withFindings(g, task, event, read.result, read.patch) : event,
      );
      continue;
    }
    g.session.apply({
      type: 'task.reviewed',
      at: event.at,
      taskId: event.taskId,
      attempt: event.attempt,
      usage: event.usage,
      summary: event.summary,
      findings: event.findings,
      verdict:
        review.verdict === 'GAPS_FOUND'
          ? { kind: 'gaps-found', feedback: review.feedback }
          : { kind: 'needs-human', question: review.question },
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
      `The review of ${task.id} could not be made: ${inert(e.userMessage)} Gantry tries again on its next pass.`,
      { once: true },
    );
    return undefined;
  }
}

/** The repository and global breakers, as this goal's gate. */
function syncBreaker(g: GoalContext): void {
  const s = g.session.state!;
  if (!g.config.ok || !isRunning(s.status)) return;
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
    // A rate limit (a 403 too) is no refusal: the job is tried again later.
    const status = e instanceof GitHubRateLimited ? undefined : gitHubStatus(e);
    if (status !== 403 && status !== 422) throw e;
    g.session.reply(
      `Gantry could not ${what}: GitHub answered ${status} (${inert((e as Error).message, 'line')}). A branch protection rule or ruleset on \`gantry/*\` branches must let the App merge and force-push there. Fix it, then comment \`/gantry resume\`.`,
      { once: true },
    );
    g.session.apply({ type: 'pause', at: g.deps.now(), actor: 'gantry' });
    return undefined;
  };
}
