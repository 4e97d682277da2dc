/** How a run, a job or a step ended, in GitHub's words. */
export type Conclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface WorkflowJob {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: Conclusion | null;
  steps: { name: string; conclusion: Conclusion; startedAt: number; completedAt: number }[];
  log: string;
  startedAt: number;
  completedAt: number | undefined;
}

export interface Artifact {
  id: number;
  name: string;
  zip: Uint8Array;
  createdAt: number;
}

/** One run of a dispatched workflow, as the REST answers and `workflow_run` webhooks show it. */
export interface WorkflowRun {
  id: number;
  repo: string;
  workflowId: number;
  workflowName: string;
  path: string;
  displayTitle: string;
  headBranch: string;
  headSha: string;
  actor: string;
  inputs: Record<string, string>;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: Conclusion | null;
  createdAt: number;
  updatedAt: number;
  jobs: WorkflowJob[];
  artifacts: Artifact[];
  concurrency: string | undefined;
  cancelRequested: boolean;
}

export type DispatchAnswer =
  { ok: true; run: WorkflowRun } | { ok: false; status: 404 | 422; message: string };
