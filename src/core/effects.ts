/** Why an attempt failed, as recovery planning needs to hear it. */
export interface FailureInfo {
  kind: 'agent' | 'ci' | 'no-change' | 'conflict';
  detail: string;
  sha?: string | undefined;
  failedChecks?: string[] | undefined;
  /** The task's own criteria that failed, each as `path (kind): detail`. */
  failedCriteria?: string[] | undefined;
  /** What the path policy refused (each names its path), by the publish job or at landing. */
  refused?: string[] | undefined;
}

/**
 * Work a goal owes the outside world, derived from its state by `owedEffects`. `key` is
 * deterministic (`dispatch:G42:T3:a2`, see `EffectKey`): the shell carries out each key at most
 * once per pass and records what it did as an event, after which the state no longer owes it.
 * Work lost in a crash is owed again because it is derived again.
 */
export type Effect = { key: string } &
  /** The plan comment must show this revision of the state (a no-op when it already does). */
  (
    | { type: 'update-plan-comment'; revision: number }
    /** The issue's state labels must be exactly these. */
    | { type: 'set-labels'; labels: string[] }
    | { type: 'create-goal-branch'; branch: string; sha: string }
    /**
     * The attempt needs its run. `send: false` while a dispatch GitHub accepted may still show up
     * (or for a stopped task whose run must be found to be cancelled): look for the run only.
     */
    | {
        type: 'dispatch-task';
        taskId: string;
        attempt: number;
        baseSha: string;
        budgetUsd: number;
        guidance?: string | undefined;
        send: boolean;
        /**
         * A stopped attempt whose run is not found now gives its reservation back (answered by
         * run.not-found): its run never showed up in time.
         */
        abandon?: boolean | undefined;
      }
    /** A run is going: its result is read once it completes (answered by `task.finished`). */
    | { type: 'collect-run'; taskId: string; attempt: number; runId: number }
    /**
     * Merge exactly `sha`, the commit the attempt's publish job pushed (none: it pushed nothing),
     * after checking it is one commit on `baseSha` within the path policy, into the candidate ref
     * `into`; `onto` (the first member of a candidate): the ref is made there first, at the tip of
     * the queue. `branch` names where it was pushed; its content is never trusted.
     */
    | {
        type: 'land-task';
        taskId: string;
        attempt: number;
        branch: string;
        into: string;
        onto?: string | undefined;
        /** What the candidate's ref holds before this merge: a 204 is read against it. */
        tip: string;
        n: number;
        sha?: string | undefined;
        baseSha?: string | undefined;
      }
    /** CI is judging the candidate `sha` (answered by `ci.verdict`). */
    | { type: 'judge-ci'; sha: string }
    /**
     * Fast-forward the goal branch (never forced) from `fromSha` to the green `toSha` (answered by
     * goal-ref.advanced). `dropRefs`: candidate refs stale once it is there, deleted in the same
     * atomic request if GitHub takes it (answered by candidate-refs.deleted too); otherwise they
     * are owed later as `delete-candidate-refs`.
     */
    | {
        type: 'advance-goal-ref';
        branch: string;
        toSha: string;
        fromSha: string;
        dropRefs?: { refs: string[]; upTo: number } | undefined;
      }
    /** Delete candidate refs no longer needed (answered by candidate-refs.deleted). */
    | { type: 'delete-candidate-refs'; refs: string[]; upTo: number }
    /** CI's verdict on the goal's base sha is awaited (answered by `base.verdict`, or a tick). */
    | { type: 'judge-base'; sha: string }
    | { type: 'reset-goal-ref'; branch: string; toSha: string; fromSha: string }
    | { type: 'ask-recovery'; taskId: string; attempt: number; failure: FailureInfo }
    | { type: 'open-draft-pr'; branch: string; title: string; issue: number }
    /** The pull request's account must be rewritten for a goal that ended partial. */
    | { type: 'update-pr-body'; number: number; finishedAt: number }
    | { type: 'mark-pr-ready'; number: number }
    | { type: 'cancel-run'; taskId: string; attempt: number; runId: number }
    | {
        type: 'escalate';
        taskId: string;
        attempt: number;
        question: string;
        mention?: string | undefined;
        /** What failed last: its kind and detail, failed checks, criteria, refusals. */
        failure?: FailureInfo | undefined;
      }
    | { type: 'report-outcome'; taskId: string; attempt: number; ok: boolean }
  );

export type EffectType = Effect['type'];

/** One recorded transition: the audit trail of a goal. */
export interface AuditRecord {
  at: number;
  actor?: string | undefined;
  event: string;
  subject: string;
  from: string;
  to: string;
  detail?: string | undefined;
}
