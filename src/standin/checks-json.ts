import type { CheckRun, CheckSuite } from './ci-runner.js';
import { iso, type Store, type StoredRepo } from './store.js';

/** GitHub's JSON for check suites and runs, in REST answers and webhooks alike. */
export function suiteJson(store: Store, repo: StoredRepo, s: CheckSuite) {
  const api = store.apiRepo(repo);
  return {
    id: s.id,
    node_id: `CS_${s.id}`,
    head_branch: s.branch,
    head_sha: s.sha,
    status: s.status,
    conclusion: s.conclusion,
    url: `${api}/check-suites/${s.id}`,
    before: s.before,
    after: s.sha,
    pull_requests: [],
    app: store.appJson(s.app.id, s.app.slug),
    created_at: iso(s.createdAt),
    updated_at: iso(s.runs.at(-1)?.completedAt ?? s.createdAt),
    latest_check_runs_count: s.runs.length,
    check_runs_url: `${api}/check-suites/${s.id}/check-runs`,
    head_commit: {
      id: s.sha,
      tree_id: s.sha,
      message: 'push',
      timestamp: iso(s.createdAt),
      author: { name: 'gantry[bot]', email: 'gantry@users.noreply.github.com' },
      committer: { name: 'gantry[bot]', email: 'gantry@users.noreply.github.com' },
    },
    repository: store.repoJson(repo),
  };
}

export function runJson(store: Store, repo: StoredRepo, s: CheckSuite, r: CheckRun) {
  const api = store.apiRepo(repo);
  return {
    id: r.id,
    node_id: `CR_${r.id}`,
    head_sha: s.sha,
    external_id: String(r.id),
    url: `${api}/check-runs/${r.id}`,
    html_url: `${store.htmlRepo(repo)}/runs/${r.id}`,
    details_url: `${store.htmlRepo(repo)}/actions/runs/${s.id}/job/${r.id}`,
    status: r.status,
    conclusion: r.conclusion,
    started_at: iso(r.startedAt),
    completed_at: iso(r.completedAt),
    output: {
      title: r.conclusion === 'success' ? 'Passed' : 'Failed',
      summary: r.summary,
      text: null,
      annotations_count: r.annotations.length,
      annotations_url: `${api}/check-runs/${r.id}/annotations`,
    },
    name: r.name,
    check_suite: { id: s.id },
    app: store.appJson(s.app.id, s.app.slug),
    pull_requests: [],
  };
}
