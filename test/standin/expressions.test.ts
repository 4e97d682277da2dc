import { describe, expect, it } from 'vitest';
import {
  condition,
  evaluate,
  ExpressionError,
  interpolate,
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

  it('says what it cannot evaluate', () => {
    expect(() => evaluate('secrets.X', ctx, ok)).toThrow(/no context `secrets`/);
    expect(() => evaluate('hashFiles("x")', ctx, ok)).toThrow(ExpressionError);
    expect(() => evaluate('fromJSON(inputs.goal', ctx, ok)).toThrow(/ends too early/);
    expect(() => evaluate("fromJSON('{')", ctx, ok)).toThrow(/not JSON/);
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
