import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  condition,
  evaluate,
  ExpressionError,
  interpolate,
  type JobStatus,
} from '../../src/standin/expressions.js';

const ok = { failed: false, cancelled: false };
const failed = { failed: true, cancelled: false };
const ctx = {
  inputs: { goal: '42', task: '{"title":"Add greet()"}', publish_partial: 'false' },
  needs: { agent: { outputs: { status: 'partial' }, result: 'success' } },
  runner: { temp: '/tmp/r' },
};

describe('workflow expressions, as the task workflow uses them', () => {
  it('reads contexts, fromJSON and literals into text', () => {
    expect(interpolate('gantry #${{ inputs.goal }} at ${{ runner.temp }}/gantry', ctx, ok)).toBe(
      'gantry #42 at /tmp/r/gantry',
    );
    expect(interpolate('${{ fromJSON(inputs.task).title }}', ctx, ok)).toBe('Add greet()');
    expect(evaluate("inputs['goal']", ctx, ok)).toBe('42');
    expect(interpolate('${{ inputs.missing }}', ctx, ok)).toBe('');
  });

  it('decides job and step conditions as GitHub does', () => {
    const publish =
      "needs.agent.outputs.status == 'success' || (needs.agent.outputs.status == 'partial' && inputs.publish_partial == 'true')";
    expect(condition(publish, ctx, ok)).toBe(false);
    const partialOn = { ...ctx, inputs: { ...ctx.inputs, publish_partial: 'true' } };
    expect(condition(`\${{ ${publish} }}`, partialOn, ok)).toBe(true);
    // Strings compare without regard to case.
    expect(evaluate("needs.agent.outputs.status == 'PARTIAL'", ctx, ok)).toBe(true);
    // No condition means success(); always() runs after a failure too.
    expect(condition(undefined, ctx, failed)).toBe(false);
    expect(condition('always()', ctx, failed)).toBe(true);
    expect(condition('failure()', ctx, failed)).toBe(true);
    // A condition without a status function gets success() added.
    expect(condition("inputs.goal == '42'", ctx, failed)).toBe(false);
    expect(evaluate('!(1 == 2) && 0 || null', ctx, ok)).toBe(null);
  });

  it('says what it cannot evaluate, naming the expression', () => {
    // A context the place does not supply, as GitHub refuses `secrets` in `run-name`.
    expect(() => evaluate('secrets.X', ctx, ok)).toThrow(
      "`secrets.X`: Unrecognized named-value: 'secrets'",
    );
    // hashFiles needs the runner's workspace, which the stand-in does not give expressions.
    expect(() => evaluate("hashFiles('x')", ctx, ok)).toThrow(/Unrecognized function: 'hashFiles'/);
    expect(() => evaluate('fromJSON(inputs.goal', ctx, ok)).toThrow(ExpressionError);
    expect(() => evaluate("fromJSON('{')", ctx, ok)).toThrow(/Error parsing JSON/);
    expect(() => evaluate('toJSON()', ctx, ok)).toThrow(/Too few parameters/);
    expect(() => evaluate("format('{0} {1}', 1)", ctx, ok)).toThrow(/more arguments/);
    expect(() => evaluate('', ctx, ok)).toThrow(/empty expression/);
    expect(() => interpolate('a ${{ inputs.goal', ctx, ok)).toThrow(/not closed/);
  });

  it('short-circuits, coerces types and reads status functions in any case, as GitHub does', () => {
    // The right side is not evaluated when the left decides: fromJSON('{') would throw.
    expect(evaluate("inputs.none != '' && fromJSON('{')", ctx, ok)).toBe(false);
    expect(evaluate("inputs.goal || fromJSON('{')", ctx, ok)).toBe('42');
    expect(evaluate('inputs.goal == 42', ctx, ok)).toBe(true);
    expect(evaluate("'' == 0 && null == 0 && true == 1", ctx, ok)).toBe(true);
    expect(condition('Always()', ctx, failed)).toBe(true);
    // A YAML boolean gets success() added like any condition.
    expect(condition(true, ctx, failed)).toBe(false);
    expect(condition(true, ctx, ok)).toBe(true);
    // A job whose needed job was skipped does not run, unless its condition says so.
    const skippedNeed = { failed: false, cancelled: false, needsOk: false };
    expect(condition(undefined, ctx, skippedNeed)).toBe(false);
    expect(condition("inputs.goal == '42'", ctx, skippedNeed)).toBe(false);
    expect(condition('always()', ctx, skippedNeed)).toBe(true);
  });
});

describe("GitHub's expression library: functions, operators and status functions", () => {
  const rich = {
    ...ctx,
    github: {
      event_name: 'push',
      ref: 'refs/heads/main',
      event: { commits: [{ message: 'one' }, { message: 'two' }] },
    },
    env: { NAME: 'gantry' },
    vars: { REGION: 'eu' },
    secrets: { TOKEN: 's3cret' },
    steps: { build: { outputs: { list: '["a","b"]' }, outcome: 'success' } },
    job: { status: 'success' },
    matrix: { node: 24, os: 'ubuntu-latest' },
    strategy: { 'fail-fast': true },
  };

  it('has the functions GitHub documents', () => {
    expect(evaluate("contains(fromJSON(steps.build.outputs.list), 'B')", rich, ok)).toBe(true);
    expect(evaluate("contains(github.ref, 'MAIN')", rich, ok)).toBe(true);
    expect(evaluate("startsWith(github.ref, 'refs/heads/')", rich, ok)).toBe(true);
    expect(evaluate("endsWith(matrix.os, '-LATEST')", rich, ok)).toBe(true);
    expect(
      interpolate("${{ format('{0}@{1} {{literal}}', env.NAME, matrix.node) }}", rich, ok),
    ).toBe('gantry@24 {literal}');
    expect(evaluate("join(github.event.commits.*.message, ', ')", rich, ok)).toBe('one, two');
    expect(evaluate("join(fromJSON('[1, 2]'))", rich, ok)).toBe('1,2');
    expect(interpolate('${{ toJSON(matrix) }}', rich, ok)).toBe(
      '{\n  "node": 24,\n  "os": "ubuntu-latest"\n}',
    );
    expect(evaluate('fromJSON(\'{"a": [1, true, null]}\')', rich, ok)).toEqual({
      a: [1, true, null],
    });
  });

  it('reads every context, case-insensitively, and coerces as GitHub does', () => {
    expect(interpolate('${{ VARS.region }}-${{ Secrets.TOKEN }}-${{ job.status }}', rich, ok)).toBe(
      'eu-s3cret-success',
    );
    expect(evaluate("strategy['fail-fast'] && github.event_name == 'PUSH'", rich, ok)).toBe(true);
    expect(evaluate('github.event.commits[1].message', rich, ok)).toBe('two');
    expect(
      evaluate("matrix.node == '24' && matrix.node >= 22 && 0x18 == matrix.node", rich, ok),
    ).toBe(true);
    // Objects and arrays interpolate as GitHub prints them, not as JSON.
    expect(interpolate('${{ matrix }} ${{ fromJSON(steps.build.outputs.list) }}', rich, ok)).toBe(
      'Object Array',
    );
    expect(interpolate('${{ 1.50 }} ${{ true }} ${{ null }}', rich, ok)).toBe('1.5 true ');
  });

  it('gives status functions from the job state; one anywhere in `if:` drops the implied success()', () => {
    const cancelling: JobStatus = { failed: false, cancelled: true };
    expect(condition('success()', rich, failed)).toBe(false);
    expect(condition('failure()', rich, ok)).toBe(false);
    expect(condition('cancelled()', rich, cancelling)).toBe(true);
    expect(condition('${{ !cancelled() }}', rich, failed)).toBe(true);
    expect(condition('!cancelled()', rich, cancelling)).toBe(false);
    expect(condition("failure() && steps.build.outcome == 'success'", rich, failed)).toBe(true);
    expect(condition("contains(format('{0}', always()), 'true')", rich, failed)).toBe(true);
    // A step after a failure runs with always(), not with a plain condition that is true.
    expect(condition("env.NAME == 'gantry'", rich, failed)).toBe(false);
    expect(condition("env.NAME == 'gantry'", rich, cancelling)).toBe(false);
  });
});

/** Every `${{ }}` value and every `if:` in a parsed workflow, with its path. */
function expressionsOf(node: unknown, path = ''): { path: string; text: string; isIf: boolean }[] {
  if (typeof node === 'string' && node.includes('${{')) return [{ path, text: node, isIf: false }];
  if (Array.isArray(node)) return node.flatMap((v, i) => expressionsOf(v, `${path}[${i}]`));
  if (node && typeof node === 'object')
    return Object.entries(node).flatMap(([k, v]) =>
      k === 'if'
        ? [{ path: `${path}.if`, text: String(v as string | boolean), isIf: true }]
        : expressionsOf(v, `${path}.${k}`),
    );
  return [];
}

const workflow = (name: string) =>
  parse(readFileSync(new URL(`../../.github/workflows/${name}`, import.meta.url), 'utf8')) as {
    on: { workflow_dispatch?: { inputs: Record<string, { default?: string }> } };
    jobs: Record<string, unknown>;
  };

describe('the workflows we ship, evaluated by GitHub’s library', () => {
  const task = workflow('gantry-task.yml');
  const declared = task.on.workflow_dispatch!.inputs;
  const inputs = {
    ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, v.default ?? ''])),
    goal: '7',
    task_id: 'T2',
    attempt: '1',
    task: '{"title":"Add greet()","files":["src/greet.ts"]}',
    base_sha: 'abc123',
    distinct_id: 'd-1',
  };
  const taskCtx = (status: string, publishPartial = 'false') => ({
    inputs: { ...inputs, publish_partial: publishPartial },
    github: { event_name: 'workflow_dispatch', token: 'ghs_job', repository: 'o/r' },
    runner: { temp: '/tmp/run', os: 'Linux' },
    secrets: { ANTHROPIC_API_KEY: 'sk-x', GITHUB_TOKEN: 'ghs_job' },
    vars: {},
    env: {},
    steps: { agent: { outputs: { status }, outcome: 'success' } },
    needs: { agent: { outputs: { status }, result: 'success' } },
  });

  it('gantry-task.yml: every expression and condition evaluates', () => {
    const found = expressionsOf(task);
    expect(found.length).toBeGreaterThan(40);
    for (const e of found) {
      const run = () =>
        e.isIf
          ? condition(e.text, taskCtx('success'), ok)
          : interpolate(e.text, taskCtx('success'), ok);
      expect(run, e.path).not.toThrow();
      if (!e.isIf) expect(interpolate(e.text, taskCtx('success'), ok), e.path).not.toContain('${{');
    }
    const raw = parse(
      readFileSync(new URL('../../.github/workflows/gantry-task.yml', import.meta.url), 'utf8'),
    ) as Record<string, unknown> & { jobs: { agent: { 'timeout-minutes': string } } };
    expect(interpolate(raw['run-name'] as string, taskCtx('success'), ok)).toBe(
      'gantry #7 T2 attempt 1 [d-1]',
    );
    expect(interpolate(raw.jobs.agent['timeout-minutes'], taskCtx('success'), ok)).toBe('65');
  });

  it("gantry-task.yml: publish runs on the agent's success, or on partial work when asked", () => {
    const publishIf = (task.jobs.publish as { if: string }).if;
    const afterAgent: JobStatus = { failed: false, cancelled: false, needsOk: true };
    expect(condition(publishIf, taskCtx('success'), afterAgent)).toBe(true);
    expect(condition(publishIf, taskCtx('partial'), afterAgent)).toBe(false);
    expect(condition(publishIf, taskCtx('partial', 'true'), afterAgent)).toBe(true);
    expect(condition(publishIf, taskCtx('failure', 'true'), afterAgent)).toBe(false);
    // A failed agent job fails success(), which GitHub adds to this condition.
    expect(condition(publishIf, taskCtx('success'), { ...afterAgent, failed: true })).toBe(false);
  });

  it('gantry-task.yml: the artifact uploads run after a failed step (always())', () => {
    const steps = (task.jobs.agent as { steps: { if?: string }[] }).steps;
    const upload = steps.filter((s) => s.if === 'always()');
    expect(upload).toHaveLength(1);
    expect(condition(upload[0]!.if, taskCtx('failure'), failed)).toBe(true);
  });

  it('ci.yml: the matrix picks its steps by number', () => {
    const ci = workflow('ci.yml');
    const found = expressionsOf(ci);
    expect(found.length).toBeGreaterThan(0);
    for (const node of [22, 24]) {
      const matrixCtx = { matrix: { node }, github: {}, env: {}, runner: { os: 'Linux' } };
      for (const e of found)
        if (e.isIf)
          expect(condition(e.text, matrixCtx, ok), e.path).toBe(e.text.includes(`${node}`));
        else expect(interpolate(e.text, matrixCtx, ok)).toBe(`${node}`);
    }
  });
});
