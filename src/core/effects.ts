/** Why an attempt failed, as recovery planning needs to hear it. */
export interface FailureInfo {
  kind: 'agent' | 'ci' | 'no-change' | 'conflict';
  detail: string;
  sha?: string | undefined;
  failedChecks?: string[] | undefined;
}

/**
 * What the core asks the shell to do. `key` is deterministic (`dispatch:G42:T3:a2`): a shell that
 * re-executes an effect with a key it has already carried out must do nothing.
 */
export type Effect = { key: string } & (
  | { type: 'update-plan-comment'; revision: number }
  | { type: 'create-goal-branch'; branch: string; sha: string }
  | {
      type: 'dispatch-task';
      taskId: string;
      attempt: number;
      baseSha: string;
      budgetUsd: number;
      guidance?: string | undefined;
    }
  | { type: 'land-task'; taskId: string; attempt: number; branch: string; into: string; n: number }
  | { type: 'reset-goal-ref'; branch: string; toSha: string; fromSha: string }
  | { type: 'ask-recovery'; taskId: string; attempt: number; failure: FailureInfo }
  | { type: 'open-draft-pr'; branch: string; title: string; issue: number }
  | { type: 'mark-pr-ready'; number?: number | undefined }
  | { type: 'set-labels'; labels: string[] }
  | { type: 'cancel-run'; taskId: string; attempt: number; runId: number }
  | { type: 'escalate'; taskId: string; question: string; mention?: string | undefined }
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
