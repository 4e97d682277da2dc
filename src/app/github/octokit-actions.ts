import type { ActionsPort, WorkflowRun } from './github-port.js';
import { call } from './github-error.js';
import type { OctokitRepo } from './octokit-repo.js';

const runOf = (r: {
  id: number;
  display_title: string;
  status?: string | null;
  conclusion?: string | null;
  run_attempt?: number;
}): WorkflowRun => ({
  id: r.id,
  displayTitle: r.display_title,
  status: r.status ?? '',
  conclusion: r.conclusion ?? null,
  ...(r.run_attempt ? { attempt: r.run_attempt } : {}),
});

export function octokitActions({ octokit, owner, repo }: OctokitRepo): ActionsPort {
  const rest = octokit.rest.actions;
  return {
    listDispatchedRuns: async (workflow_id) =>
      (
        await call(
          rest.listWorkflowRuns({
            owner,
            repo,
            workflow_id,
            event: 'workflow_dispatch',
            per_page: 100,
          }),
        )
      ).data.workflow_runs.map(runOf),
    dispatchWorkflow: async (workflow_id, ref, inputs) => {
      // `return_run_details`: GitHub answers 200 with the run since 2026-02; older servers 204.
      const r = await call(
        octokit.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
          owner,
          repo,
          workflow_id,
          ref,
          inputs,
          return_run_details: true,
        }),
      );
      const data = r.data as { workflow_run_id?: unknown } | undefined;
      return typeof data?.workflow_run_id === 'number' ? data.workflow_run_id : undefined;
    },
    getRun: async (run_id) =>
      runOf((await call(rest.getWorkflowRun({ owner, repo, run_id }))).data),
    cancelRun: async (run_id) => {
      await call(rest.cancelWorkflowRun({ owner, repo, run_id }));
    },
    listRunArtifacts: async (run_id, name) =>
      (
        await call(
          rest.listWorkflowRunArtifacts({
            owner,
            repo,
            run_id,
            per_page: 100,
            ...(name ? { name } : {}),
          }),
        )
      ).data.artifacts.map((a) => ({ id: a.id, name: a.name, expired: a.expired })),
    downloadArtifact: async (artifact_id) => {
      const zip = await call(
        rest.downloadArtifact({ owner, repo, artifact_id, archive_format: 'zip' }),
      );
      return new Uint8Array(zip.data as ArrayBuffer);
    },
    listRunJobs: async (run_id) =>
      (
        await call(rest.listJobsForWorkflowRun({ owner, repo, run_id, per_page: 100 }))
      ).data.jobs.map((j) => ({ id: j.id, name: j.name, conclusion: j.conclusion ?? null })),
    jobLog: async (job_id) => {
      // GitHub redirects to the text.
      const { data } = await call(rest.downloadJobLogsForWorkflowRun({ owner, repo, job_id }));
      return typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
    },
  };
}
