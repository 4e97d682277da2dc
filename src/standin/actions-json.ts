import type { Artifact, WorkflowJob, WorkflowRun } from './workflow-run.js';
import { iso, type Store, type StoredRepo } from './store.js';
import { example, type WebhookPayloads } from './webhook-payloads.js';

/**
 * GitHub's JSON for workflow runs, jobs and artifacts, in REST answers and `workflow_run` and
 * `workflow_job` webhooks alike. A run has some fifty fields; the stand-in starts from GitHub's example and sets
 * what identifies this run, so the payloads pass GitHub's schemas.
 */
export function runJson(store: Store, repo: StoredRepo, hooks: WebhookPayloads, r: WorkflowRun) {
  const template = example('workflow_run', 'completed').workflow_run as Record<string, unknown>;
  const api = store.apiRepo(repo);
  const repository = hooks.repository(repo);
  return {
    ...template,
    id: r.id,
    node_id: `WFR_${r.id}`,
    name: r.workflowName,
    display_title: r.displayTitle,
    path: r.path,
    event: 'workflow_dispatch',
    head_branch: r.headBranch,
    head_sha: r.headSha,
    status: r.status,
    conclusion: r.conclusion,
    workflow_id: r.workflowId,
    run_number: r.id,
    run_attempt: 1,
    check_suite_id: r.id,
    check_suite_node_id: `CS_${r.id}`,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    run_started_at: iso(r.createdAt),
    url: `${api}/actions/runs/${r.id}`,
    html_url: `${store.htmlRepo(repo)}/actions/runs/${r.id}`,
    jobs_url: `${api}/actions/runs/${r.id}/jobs`,
    logs_url: `${api}/actions/runs/${r.id}/logs`,
    check_suite_url: `${api}/check-suites/${r.id}`,
    artifacts_url: `${api}/actions/runs/${r.id}/artifacts`,
    cancel_url: `${api}/actions/runs/${r.id}/cancel`,
    rerun_url: `${api}/actions/runs/${r.id}/rerun`,
    workflow_url: `${api}/actions/workflows/${r.workflowId}`,
    pull_requests: [],
    actor: store.userJson(r.actor),
    triggering_actor: store.userJson(r.actor),
    head_commit: {
      ...(template.head_commit as object),
      id: r.headSha,
      tree_id: r.headSha,
      timestamp: iso(r.createdAt),
    },
    repository,
    head_repository: repository,
  };
}

export function workflowJson(store: Store, repo: StoredRepo, r: WorkflowRun) {
  const api = store.apiRepo(repo);
  return {
    id: r.workflowId,
    node_id: `W_${r.workflowId}`,
    name: r.workflowName,
    path: r.path,
    state: 'active',
    created_at: iso(r.createdAt),
    updated_at: iso(r.createdAt),
    url: `${api}/actions/workflows/${r.workflowId}`,
    html_url: `${store.htmlRepo(repo)}/blob/${repo.defaultBranch}/${r.path}`,
    badge_url: `${store.htmlRepo(repo)}/workflows/${encodeURIComponent(r.workflowName)}/badge.svg`,
  };
}

/** A job, in REST answers and `workflow_job` webhooks; a queued job has no runner yet. */
export function jobJson(
  store: Store,
  repo: StoredRepo,
  r: WorkflowRun,
  j: WorkflowJob,
  queued = false,
) {
  const api = store.apiRepo(repo);
  return {
    id: j.id,
    run_id: r.id,
    run_url: `${api}/actions/runs/${r.id}`,
    run_attempt: 1,
    node_id: `CR_${j.id}`,
    head_sha: r.headSha,
    head_branch: r.headBranch,
    url: `${api}/actions/jobs/${j.id}`,
    html_url: `${store.htmlRepo(repo)}/actions/runs/${r.id}/job/${j.id}`,
    status: j.status,
    conclusion: j.conclusion,
    created_at: iso(j.startedAt),
    started_at: iso(j.startedAt),
    completed_at: j.completedAt === undefined ? null : iso(j.completedAt),
    name: j.name,
    steps: j.steps.map((s, i) => ({
      name: s.name,
      status: 'completed',
      conclusion: s.conclusion,
      number: i + 1,
      started_at: iso(s.startedAt),
      completed_at: iso(s.completedAt),
    })),
    check_run_url: `${api}/check-runs/${j.id}`,
    labels: ['ubuntu-latest'],
    runner_id: queued ? null : 1,
    runner_name: queued ? null : 'stand-in',
    runner_group_id: queued ? null : 1,
    runner_group_name: queued ? null : 'stand-in',
    workflow_name: r.workflowName,
  };
}

export function artifactJson(store: Store, repo: StoredRepo, r: WorkflowRun, a: Artifact) {
  const api = store.apiRepo(repo);
  return {
    id: a.id,
    node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
    name: a.name,
    size_in_bytes: a.zip.length,
    url: `${api}/actions/artifacts/${a.id}`,
    archive_download_url: `${api}/actions/artifacts/${a.id}/zip`,
    expired: false,
    digest: null,
    created_at: iso(a.createdAt),
    updated_at: iso(a.createdAt),
    expires_at: iso(a.createdAt + 7 * 24 * 3600_000),
    workflow_run: {
      id: r.id,
      repository_id: 1,
      head_repository_id: 1,
      head_branch: r.headBranch,
      head_sha: r.headSha,
    },
  };
}
