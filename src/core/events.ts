import type { BreakerGate } from './breaker.js';
import type { TaskEdit } from './edit-task.js';
import type { Finding } from './findings.js';
import type { Plan, Task } from './plan.js';

/** What recovery planning decided for a failed attempt. */
export type RecoveryAction =
  | { kind: 'retry'; guidance: string }
  /** New tasks to run first; the failed task then retries depending on them. */
  | { kind: 'inject'; tasks: Task[]; guidance?: string | undefined }
  | { kind: 'escalate'; question: string };

export type LandingResult =
  | { kind: 'merged'; sha: string }
  | { kind: 'nothing-to-merge'; criteriaPassed: boolean }
  | { kind: 'conflict'; paths: string[] }
  /** The published commit failed a check at landing (its parent, its paths): nothing merged. */
  | { kind: 'refused'; problems: string[] };

export interface Usage {
  costUsd: number;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
}

/** A plan from the planner, and (`issueTextHash`) the issue text it was made from. */
interface PlanMade {
  plan: Plan;
  version: number;
  textHash?: string | undefined;
}

/** Every event carries its time (ms since the epoch) and, when a person caused it, who. */
interface EventBase {
  at: number;
  actor?: string | undefined;
}

export type GoalEvent = EventBase &
  (
    | ({ type: 'plan.proposed' } & PlanMade)
    | ({ type: 'plan.replaced' } & PlanMade)
    | { type: 'plan.failed'; reason: string }
    /** Planning failed for a passing reason (an API outage): tried again from `retryAt`. */
    | { type: 'plan.deferred'; reason: string; retryAt: number }
    | { type: 'replan.requested'; feedback: string }
    | {
        type: 'approvals.changed';
        /** The plan version the person saw: ticks on an older plan are ignored. */
        planVersion: number;
        changes: {
          taskId: string;
          approved: boolean;
          /** The definition the person ticked (`taskDefinitionHash`, before their own edits). */
          hash?: string | undefined;
        }[];
        /** Changes to task definitions: each edited task needs approval again. */
        edits?: TaskEdit[] | undefined;
      }
    | { type: 'start'; baseSha: string; planVersion: number }
    /**
     * A spending cap across goals (the repository's day or month) refused the attempt's
     * reservation before it was dispatched: the attempt is undone and the goal paused.
     */
    | { type: 'cap.reached'; taskId: string; attempt: number; reason: string }
    /** The dispatch was accepted but GitHub did not say which run it made (an older server). */
    | { type: 'task.dispatch-sent'; taskId: string; attempt: number }
    | { type: 'task.dispatched'; taskId: string; attempt: number; runId: number }
    | {
        type: 'task.finished';
        taskId: string;
        attempt: number;
        outcome: 'success' | 'failure' | 'partial';
        usage: Usage;
        summary?: string | undefined;
        /** What the agent learned that later tasks should know. */
        findings?: { kind: Finding['kind']; text: string }[] | undefined;
        /** The commit the publish job pushed (from its record): the one that lands. */
        published?: { sha: string; parent: string } | undefined;
        /** The agent's criteria that failed, each as `path (kind): detail`. */
        failedCriteria?: string[] | undefined;
        /** The path policy's problems, when the publish job refused the patch. */
        refused?: string[] | undefined;
      }
    | {
        type: 'landing.result';
        taskId: string;
        attempt: number;
        /** The `n` of the land-task effect this answers. */
        landing: number;
        result: LandingResult;
      }
    | { type: 'ci.verdict'; sha: string; verdict: 'green' }
    | {
        type: 'ci.verdict';
        sha: string;
        verdict: 'red';
        failedChecks: string[];
        summary?: string | undefined;
        /** Checks still running when it was read: red already, but the list may grow. */
        unfinished?: number | undefined;
      }
    /** CI's verdict on the base sha the goal started from (answers judge-base). */
    | { type: 'base.verdict'; sha: string; verdict: 'green' }
    | {
        type: 'base.verdict';
        sha: string;
        verdict: 'red';
        failedChecks: string[];
        summary?: string | undefined;
        /** Checks still running when it was read: red already, but the list may grow. */
        unfinished?: number | undefined;
      }
    | {
        type: 'recovery.proposed';
        taskId: string;
        attempt: number;
        rootCause: string;
        action: RecoveryAction;
      }
    | { type: 'task.retry'; taskId: string }
    | { type: 'task.skip'; taskId: string }
    | { type: 'pause' }
    /**
     * `baseSha`: the default branch's head now, when the goal is paused for a red base: a goal
     * that has landed nothing starts again from it when it moved (the fix was pushed there).
     */
    | {
        type: 'resume';
        baseSha?: string | undefined;
        /**
         * `/gantry resume known-red`: with the checks that fail on the base as read now (its CI
         * may have finished since the verdict that paused the goal).
         */
        knownRed?: boolean | undefined;
        failedChecks?: string[] | undefined;
      }
    | { type: 'cancel'; reason?: string | undefined }
    | { type: 'budget.changed'; goalUsd: number }
    | { type: 'breaker.changed'; gate: BreakerGate }
    | { type: 'pr.opened'; number: number }
    /** Work the shell carried out for an owed effect, recorded so it is no longer owed. */
    /** `sha`: where it was made (absent from older shells: the last green sha). */
    | { type: 'goal-branch.created'; sha?: string | undefined }
    | { type: 'goal-ref.reset'; fromSha: string }
    /** The goal branch was fast-forwarded to `sha`, a green candidate. */
    | { type: 'goal-ref.advanced'; sha: string }
    /** Candidate refs `1..upTo` are deleted (or were never made). */
    | { type: 'candidate-refs.deleted'; upTo: number }
    | { type: 'pr.marked-ready'; number: number }
    /** The account was rewritten for the goal that ended partial at `finishedAt`. */
    | { type: 'pr.account-updated'; number: number; finishedAt: number }
    | { type: 'run.cancel-sent'; taskId: string; attempt: number }
    /** A stopped attempt's run never showed up: its reservation is given back. */
    | { type: 'run.not-found'; taskId: string; attempt: number }
    | { type: 'escalation.posted'; taskId: string; attempt: number }
    /** A person's `/gantry` command was carried out (or answered): it is never carried out again. */
    | { type: 'command.handled'; commentId: number }
    | { type: 'outcome.reported'; taskId: string; attempt: number }
    /**
     * A planner's review of a successful attempt: passed, it lands; otherwise the attempt ends
     * partial with the reason and is retried with the feedback or handed to a person.
     */
    | {
        type: 'task.reviewed';
        taskId: string;
        attempt: number;
        usage: Usage;
        verdict:
          | { kind: 'passed' }
          | { kind: 'gaps-found'; feedback: string }
          | { kind: 'needs-human'; question: string };
        summary?: string | undefined;
        findings?: { kind: Finding['kind']; text: string }[] | undefined;
      }
    /** A planner call (plan, recovery, review) was billed: its cost is spent from the goal's budget. */
    | { type: 'llm.charged'; operation: string; costUsd: number }
    | { type: 'tick' }
  );

export type GoalEventType = GoalEvent['type'];
