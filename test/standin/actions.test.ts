import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_ACTIONS, builtInAction } from '../../src/standin/built-in-actions.js';
import type { StandIn } from '../../src/standin/stand-in.js';
import { parseWorkflow, WorkflowError } from '../../src/standin/workflow.js';
import { standInWith } from '../support/standin-scenario.js';
import type { WebhookEvent } from '../../src/standin/webhook-payloads.js';

const WORKFLOW = `name: build
run-name: 'build \${{ inputs.what }}'
on:
  workflow_dispatch:
    inputs:
      what: { required: true, type: string }
      fail: { required: false, type: string, default: 'no' }
concurrency:
  group: build-\${{ inputs.what }}
  cancel-in-progress: true
jobs:
  make:
    runs-on: ubuntu-latest
    outputs:
      made: \${{ steps.make.outputs.made }}
    steps:
      - uses: actions/checkout@v5
      - id: make
        run: |
          mkdir -p out && cat README.md > out/readme.txt && echo "made=yes" >> "$GITHUB_OUTPUT"
          if [ "\${{ inputs.fail }}" = yes ]; then echo "src/x.js:3: broken"; exit 1; fi
          if [ "\${{ inputs.what }}" = slow ]; then sleep 30; echo finished; fi
          if [ "\${{ inputs.what }}" = bg ]; then (sleep 30; echo stray) & fi
      - run: echo not after a failure
      - if: always()
        uses: actions/upload-artifact@v4
        with: { name: 'out-\${{ inputs.what }}', path: out, overwrite: true }
  after:
    needs: make
    if: needs.make.outputs.made == 'yes'
    runs-on: ubuntu-latest
    steps:
      - run: echo after
`;

async function world() {
  const { standIn } = await standInWith('octo/build', {
    'README.md': '# build\n',
    '.github/workflows/build.yml': WORKFLOW,
  });
  const events: WebhookEvent[] = [];
  const sender = standIn.connect({ url: 'http://127.0.0.1:9/unused', secret: 's' });
  const queue = sender.queue.bind(sender);
  sender.queue = (event, payload) => {
    events.push({ name: event, payload });
    return queue(event, payload);
  };
  const octokit = standIn.as('gantry[bot]', standIn.app);
  const o = { owner: 'octo', repo: 'build', workflow_id: 'build.yml' };
  return { standIn, events, octokit, o };
}

/** A workflow committed on top of main. */
async function addWorkflow(standIn: StandIn, file: string, text: string): Promise<string> {
  const sha = (await standIn.git.branchSha('octo/build', 'main'))!;
  const next = await standIn.git.commitFiles(
    'octo/build',
    sha,
    { [`.github/workflows/${file}`]: text },
    `add ${file}`,
    { name: 'x', email: 'x@example.com' },
  );
  await standIn.git.updateBranch('octo/build', 'main', next, false);
  return next;
}

describe('GitHub Actions on the stand-in', () => {
  it('runs a dispatched workflow: run details, jobs in order of needs, outputs, artifacts, workflow_run events', async () => {
    const { standIn, events, octokit, o } = await world();
    const r = await octokit.request(
      'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
      {
        ...o,
        ref: 'main',
        inputs: { what: 'docs' },
        return_run_details: true,
      },
    );
    expect(r.status).toBe(200);
    const runId = (r.data as { workflow_run_id: number }).workflow_run_id;
    await standIn.server.idle();
    const { data: run } = await octokit.rest.actions.getWorkflowRun({ ...o, run_id: runId });
    expect(run).toMatchObject({
      display_title: 'build docs',
      status: 'completed',
      conclusion: 'success',
      event: 'workflow_dispatch',
      path: '.github/workflows/build.yml',
    });
    const { data: jobs } = await octokit.rest.actions.listJobsForWorkflowRun({
      ...o,
      run_id: runId,
    });
    expect(jobs.jobs.map((j) => [j.name, j.conclusion])).toEqual([
      ['make', 'success'],
      ['after', 'success'],
    ]);
    const { data: listed } = await octokit.rest.actions.listWorkflowRunArtifacts({
      ...o,
      run_id: runId,
      name: 'out-docs',
    });
    const zip = await octokit.rest.actions.downloadArtifact({
      ...o,
      artifact_id: listed.artifacts[0]!.id,
      archive_format: 'zip',
    });
    const files = unzipSync(new Uint8Array(zip.data as ArrayBuffer));
    expect(new TextDecoder().decode(files['readme.txt'])).toBe('# build\n');
    const { data: runs } = await octokit.rest.actions.listWorkflowRuns({
      ...o,
      event: 'workflow_dispatch',
    });
    expect(runs.workflow_runs.map((x) => x.id)).toEqual([runId]);
    expect(events.filter((e) => e.name === 'workflow_run').map((e) => e.payload.action)).toEqual([
      'requested',
      'in_progress',
      'completed',
    ]);
    expect(standIn.problems()).toEqual([]);
  });

  it('a failing step fails its job and skips what needed it; its log keeps the output', async () => {
    const { standIn, octokit, o } = await world();
    await octokit.rest.actions.createWorkflowDispatch({
      ...o,
      ref: 'main',
      inputs: { what: 'x', fail: 'yes' },
    });
    await standIn.server.idle();
    const run = standIn.actions.runs[0]!;
    expect(run.conclusion).toBe('failure');
    expect(run.jobs.map((j) => j.conclusion)).toEqual(['failure', 'skipped']);
    expect(run.jobs[0]!.steps.map((x) => x.conclusion)).toEqual([
      'success',
      'failure',
      'skipped', // no if: success() after a failure
      'success', // if: always()
    ]);
    expect(run.artifacts).toHaveLength(1);
    const { data: log } = await octokit.rest.actions.downloadJobLogsForWorkflowRun({
      ...o,
      job_id: run.jobs[0]!.id,
    });
    expect(String(log)).toContain('src/x.js:3: broken');
  });

  it('refuses dispatches as GitHub does: unknown inputs, missing ones, no such workflow', async () => {
    const { standIn, octokit, o } = await world();
    await expect(
      octokit.rest.actions.createWorkflowDispatch({
        ...o,
        ref: 'main',
        inputs: { what: 'x', nope: '1' },
      }),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('Unexpected inputs provided: ["nope"]'),
    });
    await expect(
      octokit.rest.actions.createWorkflowDispatch({ ...o, ref: 'main', inputs: {} }),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("Required input 'what' not provided"),
    });
    await expect(
      octokit.rest.actions.createWorkflowDispatch({ ...o, workflow_id: 'other.yml', ref: 'main' }),
    ).rejects.toMatchObject({ status: 404 });
    expect(standIn.actions.runs).toEqual([]);
  });

  it('cancels a run on request and when a newer run takes its concurrency group', async () => {
    const { standIn, octokit, o } = await world();
    await octokit.rest.actions.createWorkflowDispatch({
      ...o,
      ref: 'main',
      inputs: { what: 'slow' },
    });
    await octokit.rest.actions.createWorkflowDispatch({
      ...o,
      ref: 'main',
      inputs: { what: 'slow' },
    });
    const [first, second] = standIn.actions.runs;
    const cancel = await octokit.rest.actions.cancelWorkflowRun({ ...o, run_id: second!.id });
    expect(cancel.status).toBe(202);
    await standIn.server.idle();
    expect([first!.conclusion, second!.conclusion]).toEqual(['cancelled', 'cancelled']);
    // The steps were stopped, not left to finish.
    for (const run of [first!, second!]) expect(run.jobs[0]!.log).not.toMatch(/^finished$/m);
    await expect(
      octokit.rest.actions.cancelWorkflowRun({ ...o, run_id: first!.id }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it('ends what a step leaves running, and a job that runs past timeout-minutes', async () => {
    const { standIn, octokit, o } = await world();
    await octokit.rest.actions.createWorkflowDispatch({
      ...o,
      ref: 'main',
      inputs: { what: 'bg' },
    });
    await standIn.server.idle(); // would wait 30 s for the stray sleep if it were left running
    expect(standIn.actions.runs[0]!.conclusion).toBe('success');
    expect(standIn.actions.runs[0]!.jobs[0]!.log).not.toContain('stray');
  });

  it('refuses a commit sha as the ref, and runs `run:` steps with pipefail as GitHub does', async () => {
    const { standIn, octokit, o } = await world();
    const sha = (await standIn.git.branchSha('octo/build', 'main'))!;
    await expect(
      octokit.rest.actions.createWorkflowDispatch({ ...o, ref: sha, inputs: { what: 'x' } }),
    ).rejects.toMatchObject({ status: 422 });
    await addWorkflow(
      standIn,
      'pipe.yml',
      'name: pipe\non: { workflow_dispatch: {} }\njobs:\n  p:\n    steps:\n      - run: false | cat\n  t:\n    needs: p\n    if: always()\n    timeout-minutes: 0.005\n    steps:\n      - run: sleep 20; echo finished\n',
    );
    await octokit.rest.actions.createWorkflowDispatch({
      ...o,
      workflow_id: 'pipe.yml',
      ref: 'main',
    });
    await standIn.server.idle();
    const [p, t] = standIn.actions.runs[0]!.jobs;
    expect(p!.conclusion).toBe('failure');
    expect(t!.conclusion).toBe('failure');
    expect(t!.log).toContain('exceeded the maximum execution time');
    expect(t!.log).not.toMatch(/^finished$/m);
  });

  it('jobs clone and push over HTTP with a token that can do what their permissions say, no more', async () => {
    const { standIn, octokit, o } = await world();
    await standIn.addRepo('octo/other', { 'README.md': '# other\n' }, { roles: {} });
    const perms = [
      'name: perms',
      'on: { workflow_dispatch: {} }',
      'permissions: {}',
      'jobs:',
      '  reader:',
      '    permissions: { contents: read }',
      '    steps:',
      '      - uses: actions/checkout@v5',
      '        with: { persist-credentials: false }',
      '      - run: git remote get-url origin; cat .git/config',
      '      - run: git push origin HEAD:refs/heads/from-reader',
      '  kept:',
      '    needs: reader',
      '    if: always()',
      '    permissions: { contents: read }',
      '    steps:',
      '      - uses: actions/checkout@v5',
      '      - run: git push origin HEAD:refs/heads/from-reader',
      '      - if: always()',
      '        run: git clone "$(git remote get-url origin | sed s/build.git/other.git/)" other',
      '  writer:',
      '    needs: kept',
      '    if: always()',
      '    permissions: { contents: write }',
      '    steps:',
      '      - uses: actions/checkout@v5',
      '      - run: git push origin HEAD:refs/heads/from-writer',
      '  nothing:',
      '    needs: writer',
      '    if: always()',
      '    steps:',
      '      - uses: actions/checkout@v5',
    ].join('\n');
    const next = await addWorkflow(standIn, 'perms.yml', `${perms}\n`);
    await octokit.rest.actions.createWorkflowDispatch({
      ...o,
      workflow_id: 'perms.yml',
      ref: 'main',
    });
    await standIn.server.idle();
    const [reader, kept, writer, nothing] = standIn.actions.runs[0]!.jobs;
    // Read access clones; the token is neither in the remote's URL nor kept in the config.
    expect(reader!.steps.map((x) => x.conclusion)).toEqual(['success', 'success', 'failure']);
    expect(reader!.log).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/git\/octo\/build\.git$/m);
    expect(reader!.log).not.toContain('ghs_');
    expect(reader!.log).not.toContain('extraheader');
    expect(reader!.log).toContain('could not read Username'); // no credentials left to push with
    // With its read token kept, a push is refused by the server.
    // Nor may its token reach another repository.
    expect(kept!.steps.map((x) => x.conclusion)).toEqual(['success', 'failure', 'failure']);
    expect(kept!.log).toContain('The requested URL returned error: 403');
    expect(await standIn.git.branchSha('octo/build', 'from-reader')).toBeUndefined();
    // Write access pushes; pushes made with a job token start no CI.
    expect(writer!.conclusion).toBe('success');
    expect(await standIn.git.branchSha('octo/build', 'from-writer')).toBe(next);
    // `permissions: {}` grants nothing: not even a checkout.
    expect(nothing!.conclusion).toBe('failure');
  });
});

describe('the workflow model', () => {
  const file = '.github/workflows/x.yml';
  const refused = (text: string) => {
    try {
      parseWorkflow(file, text);
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it("reads GitHub's short forms into one shape", () => {
    const wf = parseWorkflow(
      file,
      'on: [push, workflow_dispatch]\nconcurrency: ci\njobs:\n  a: { steps: [{ run: echo, env: { N: 1 } }] }\n  b: { needs: a, timeout-minutes: 5, steps: [{ uses: actions/checkout@v5, with: { fetch-depth: 0 } }] }\n',
    );
    expect(wf.dispatch).toEqual({ inputs: {} });
    expect(wf.concurrency).toEqual({ group: 'ci', cancelInProgress: false });
    expect(wf.jobs.a!.steps[0]!.env).toEqual({ N: '1' });
    expect(wf.jobs.b).toMatchObject({ needs: ['a'], timeoutMinutes: '5' });
    expect(wf.jobs.b!.steps[0]!.with).toEqual({ 'fetch-depth': '0' });
    expect(parseWorkflow(file, 'on: push\njobs: {}\n').dispatch).toBeUndefined();
  });

  it('refuses a malformed workflow with a message naming the file, the field and the fix', () => {
    expect(refused('on: [\n')).toMatch(/^\.github\/workflows\/x\.yml is not valid YAML/);
    expect(refused('on: push\n')).toBe(
      `${file} is not a workflow the stand-in can run: \`jobs\` must be a mapping of job names to jobs`,
    );
    expect(refused('on: push\njobs: { a: { steps: [{ run: echo, uses: a/b@v1 }] } }')).toContain(
      '`jobs.a.steps[0]` has both `uses` and `run`: a step runs an action or a script; split it in two',
    );
    expect(refused('on: push\njobs: { a: { steps: [{ name: nothing }] } }')).toContain(
      '`jobs.a.steps[0]` has neither `uses` nor `run`',
    );
    expect(
      refused('on: push\njobs: { a: { steps: [{ uses: a/b@v1, with: { x: [1] } }] } }'),
    ).toContain('`jobs.a.steps[0].with.x` must be a string, a number or a boolean');
    expect(
      refused('on: { workflow_dispatch: { inputs: { x: { required: yes } } } }\njobs: {}'),
    ).toContain('`on.workflow_dispatch.inputs.x.required` must be true or false');
    expect(refused('on: push\npermissions: { contents: admin }\njobs: {}')).toContain(
      '`permissions` must be read-all, write-all or a mapping',
    );
  });

  it('a dispatch of a malformed workflow is refused with that message, and starts no run', async () => {
    const { standIn, octokit, o } = await world();
    await addWorkflow(
      standIn,
      'bad.yml',
      'on: { workflow_dispatch: {} }\njobs:\n  a:\n    needs: [1, 2]\n    steps: [{ run: echo }]\n',
    );
    await expect(
      octokit.rest.actions.createWorkflowDispatch({ ...o, workflow_id: 'bad.yml', ref: 'main' }),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining(
        '.github/workflows/bad.yml is not a workflow the stand-in can run: `jobs.a.needs` must be a job name or a list of them',
      ),
    });
    expect(standIn.actions.runs).toEqual([]);
  });
});

describe('the built-in actions', () => {
  it('are found by `uses:` name whatever the ref', () => {
    expect(builtInAction('actions/checkout@v5')).toBe(BUILT_IN_ACTIONS.get('actions/checkout'));
    expect(builtInAction('actions/upload-artifact@main')).toBe(
      BUILT_IN_ACTIONS.get('actions/upload-artifact'),
    );
    expect(builtInAction('gantry-dev/gantry@v0')).toBe(builtInAction('gantry-dev/gantry@v1'));
  });

  it('an unknown action is an error that names it and says what the stand-in runs', () => {
    const known =
      'it runs actions/checkout, actions/upload-artifact, actions/download-artifact, gantry-dev/gantry';
    expect(() => builtInAction('actions/cache@v4')).toThrow(
      `the stand-in does not run \`uses: actions/cache@v4\`: ${known}`,
    );
    // A name without a ref, or one that only looks like a key of an object, is unknown too.
    expect(() => builtInAction('actions/checkout')).toThrow(known);
    expect(() => builtInAction('constructor@v1')).toThrow(known);
    expect(() => builtInAction('gantry-dev/gantry@v0', 'me/mine')).toThrow(
      'actions/download-artifact, me/mine',
    );
  });

  it('a step that uses an unknown action fails, with the reason in its job log', async () => {
    const { standIn, octokit, o } = await world();
    await addWorkflow(
      standIn,
      'cache.yml',
      'on: { workflow_dispatch: {} }\njobs:\n  a:\n    steps:\n      - uses: actions/cache@v4\n      - if: always()\n        run: echo still here\n',
    );
    await octokit.rest.actions.createWorkflowDispatch({
      ...o,
      workflow_id: 'cache.yml',
      ref: 'main',
    });
    await standIn.server.idle();
    const [job] = standIn.actions.runs[0]!.jobs;
    expect(job!.steps.map((x) => x.conclusion)).toEqual(['failure', 'success']);
    expect(job!.log).toContain('##[error]the stand-in does not run `uses: actions/cache@v4`');
    expect(job!.log).toContain('still here');
  });
});
