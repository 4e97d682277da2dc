/** Who caused a webhook. */
export interface Sender {
  login: string;
  bot: boolean;
}

/**
 * What a webhook tells the goal's reconcile. Hints are not truth: reconcile reads GitHub's facts
 * and uses a hint only for what GitHub cannot tell later (who edited, and what the body was).
 */
export type Hint =
  /** Reconcile from the facts alone (start-up, timer). */
  | { kind: 'poke' }
  | { kind: 'labeled'; label: string }
  | { kind: 'unlabeled'; label: string; labels: string[] }
  | { kind: 'closed'; labels: string[] }
  | { kind: 'issue-edited'; sender: Sender; labels: string[] }
  | { kind: 'comment-edited'; commentId: number; from: string; to: string; sender: Sender }
  | { kind: 'command'; commentId: number; body: string; sender: Sender }
  /** A task workflow run changed (`workflow_run`): matched to its attempt by its dispatch id. */
  | {
      kind: 'run';
      runId: number;
      distinctId: string;
      status: string;
      conclusion: string | null;
      /** The run's attempt (absent from hints kept before it was). */
      attempt?: number;
    }
  /** CI reported on a sha of the goal branch (check suite, check run, status, workflow run). */
  | { kind: 'ci'; sha: string };

type RunHint = Extract<Hint, { kind: 'run' }>;

/**
 * What the hints of one reconcile say of a run: several may come together (coalesced, or kept by
 * a replica that died). A completion counts wherever it stands among them, and of a re-run's
 * completions the latest attempt's (its artifacts and jobs are the run's now); else the last word.
 */
export function runHintOf(hints: readonly Hint[], runId: number): RunHint | undefined {
  const told = hints.filter((h): h is RunHint => h.kind === 'run' && h.runId === runId);
  const completed = told
    .filter((h) => h.status === 'completed')
    .sort((a, b) => (b.attempt ?? 0) - (a.attempt ?? 0));
  return completed[0] ?? told.at(-1);
}
