import { runJson, suiteJson } from './checks-json.js';
import type { Call, Handler } from './call.js';
import type { Answer } from './answer.js';

const notFound: Answer = { status: 404, body: { message: 'Not Found' } };
const full = (c: Call) => `${c.repo.owner}/${c.repo.name}`;

async function shaOf(c: Call): Promise<string | undefined> {
  return c.git.resolve(full(c), c.params.ref!);
}

/** CI results: check suites and runs of a sha, their annotations, commit statuses, job logs (CI's and Actions'). */
export const checkHandlers: Record<string, Handler> = {
  'checks/list-suites-for-ref': async (c) => {
    const sha = await shaOf(c);
    if (!sha) return notFound;
    const suites = c.ci.suitesFor(full(c), sha).map((s) => suiteJson(c.store, c.repo, s));
    return { status: 200, body: { total_count: suites.length, check_suites: suites } };
  },

  'checks/list-for-ref': async (c) => {
    const sha = await shaOf(c);
    if (!sha) return notFound;
    const runs = c.ci
      .suitesFor(full(c), sha)
      .flatMap((s) => s.runs.map((r) => runJson(c.store, c.repo, s, r)));
    return { status: 200, body: { total_count: runs.length, check_runs: runs } };
  },

  'checks/list-annotations': (c) => {
    const found = c.ci.findRun(Number(c.params.check_run_id));
    if (!found) return notFound;
    return {
      status: 200,
      body: found.run.annotations.map((a) => ({
        ...a,
        annotation_level: 'failure',
        blob_href: `${c.store.htmlRepo(c.repo)}/blob/${found.suite.sha}/${a.path}`,
        start_column: null,
        end_column: null,
        title: null,
        raw_details: null,
      })),
    };
  },

  /** The stand-in's CI reports checks, not statuses: the combined status has none. */
  'repos/get-combined-status-for-ref': async (c) => {
    const sha = await shaOf(c);
    if (!sha) return notFound;
    return {
      status: 200,
      body: {
        state: 'pending',
        statuses: [],
        sha,
        total_count: 0,
        repository: c.store.repoJson(c.repo),
        commit_url: `${c.store.apiRepo(c.repo)}/commits/${sha}`,
        url: `${c.store.apiRepo(c.repo)}/commits/${sha}/status`,
      },
    };
  },

  /** GitHub answers with a redirect to short-lived storage; so does the stand-in. */
  'actions/download-job-logs-for-workflow-run': (c) => {
    const id = Number(c.params.job_id);
    const log = c.ci.findRun(id)?.run.log ?? c.actions.findJob(id)?.job.log;
    if (log === undefined) return notFound;
    const path = `/_blobs/job-${id}.log`;
    c.blobs.set(path, { body: log, type: 'text/plain; charset=utf-8' });
    return { status: 302, headers: { location: `${c.store.serverUrl}${path}` } };
  },
};
