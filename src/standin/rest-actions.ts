import { artifactJson, jobJson, runJson } from './actions-json.js';
import { countedPage } from './paging.js';
import type { Call, Handler } from './call.js';
import type { Answer } from './answer.js';

const notFound: Answer = { status: 404, body: { message: 'Not Found' } };
const full = (c: Call) => `${c.repo.owner}/${c.repo.name}`;

function runsOf(c: Call, workflow?: string) {
  const event = c.query.get('event');
  const status = c.query.get('status');
  return c.actions.runs
    .filter(
      (r) =>
        r.repo === full(c) &&
        (workflow === undefined ||
          r.path.endsWith(`/${workflow}`) ||
          String(r.workflowId) === workflow) &&
        (!event || event === 'workflow_dispatch') &&
        (!status || r.status === status || r.conclusion === status),
    )
    .reverse();
}

/** The run of `run_id`, if it is this repository's. */
function runOf(c: Call) {
  const run = c.actions.find(Number(c.params.run_id));
  return run?.repo === full(c) ? run : undefined;
}

const runListAnswer = (c: Call, runs: ReturnType<typeof runsOf>) =>
  countedPage(c, 'workflow_runs', runs, (r) => runJson(c.store, c.repo, c.hooks, r));

/** GitHub Actions: dispatch, runs, jobs, artifacts (zip downloads behind a redirect), cancel. */
export const actionsHandlers: Record<string, Handler> = {
  'actions/create-workflow-dispatch': async (c) => {
    const body = c.body as {
      ref: string;
      inputs?: Record<string, unknown>;
      return_run_details?: boolean;
    };
    const inputs = Object.fromEntries(
      Object.entries(body.inputs ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const r = await c.actions.dispatch(full(c), c.params.workflow_id!, body.ref, inputs, c.login);
    if (!r.ok) return { status: r.status, body: { message: r.message } };
    if (!body.return_run_details) return { status: 204 };
    const run = runJson(c.store, c.repo, c.hooks, r.run);
    return {
      status: 200,
      body: { workflow_run_id: r.run.id, run_url: run.url, html_url: run.html_url },
    };
  },

  'actions/list-workflow-runs': (c) => runListAnswer(c, runsOf(c, c.params.workflow_id)),
  'actions/list-workflow-runs-for-repo': (c) => runListAnswer(c, runsOf(c)),

  'actions/get-workflow-run': (c) => {
    const run = runOf(c);
    if (!run) return notFound;
    return { status: 200, body: runJson(c.store, c.repo, c.hooks, run) };
  },

  'actions/cancel-workflow-run': (c) => {
    const run = runOf(c);
    if (!run) return notFound;
    if (!c.actions.cancel(run.id))
      return { status: 409, body: { message: 'Cannot cancel a workflow run that is completed.' } };
    return { status: 202, body: {} };
  },

  'actions/list-jobs-for-workflow-run': (c) => {
    const run = runOf(c);
    if (!run) return notFound;
    return countedPage(c, 'jobs', run.jobs, (j) => jobJson(c.store, c.repo, run, j));
  },

  'actions/list-workflow-run-artifacts': (c) => {
    const run = runOf(c);
    if (!run) return notFound;
    const name = c.query.get('name');
    const artifacts = run.artifacts.filter((a) => !name || a.name === name);
    return countedPage(c, 'artifacts', artifacts, (a) => artifactJson(c.store, c.repo, run, a));
  },

  /** GitHub answers with a redirect to short-lived storage; so does the stand-in. */
  'actions/download-artifact': (c) => {
    const found = c.actions.findArtifact(Number(c.params.artifact_id));
    if (!found || found.run.repo !== full(c) || c.params.archive_format !== 'zip') return notFound;
    const path = `/_blobs/artifact-${found.artifact.id}.zip`;
    c.blobs.set(path, { body: found.artifact.zip, type: 'application/zip' });
    return { status: 302, headers: { location: `${c.store.serverUrl}${path}` } };
  },
};
