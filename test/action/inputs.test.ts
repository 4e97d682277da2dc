import { describe, expect, it } from 'vitest';
import {
  egressAllowOf,
  InputError,
  readInputs,
  type AgentInputs,
} from '../../src/action/inputs.js';
import { DEFAULT_EGRESS_ALLOW } from '../../src/core/egress-allowlist.js';
import { defaultPricing } from '../../src/llm/model-price.js';
import { task } from '../support/plans.js';

/** The agent job's inputs as a runner passes them, with `over` on top. */
const agent = (over: Record<string, string> = {}) => {
  const given: Record<string, string> = {
    mode: 'agent',
    task: JSON.stringify(task('T1')),
    goal: '7',
    attempt: '1',
    'base-sha': 'a'.repeat(40),
    ...over,
  };
  return readInputs((name) => given[name]) as AgentInputs;
};

const refusal = (over: Record<string, string>) => {
  try {
    agent(over);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected the inputs to be refused');
};

describe('containment inputs of the agent job', () => {
  it('default to contained, the default allowlist and the default prices (an older workflow sends none)', () => {
    const inputs = agent();
    expect(inputs.isolation).toBe('contained');
    expect(inputs['allowed-hosts']).toEqual([]);
    expect(inputs.pricing).toEqual(defaultPricing);
    expect(egressAllowOf(inputs)).toHaveLength(DEFAULT_EGRESS_ALLOW.length);
  });

  it('reads unisolated, the extra hosts added to the defaults, and prices merged over the defaults', () => {
    const own = { input: 1, output: 2, cacheRead: 0.1, cacheWrite: 1.5 };
    const inputs = agent({
      isolation: 'unisolated',
      'allowed-hosts': 'npm.example.com\n*.mirror.example.org:8443, 10.0.0.5',
      pricing: JSON.stringify({ 'claude-sonnet-5-5': own, 'my-model': own }),
    });
    expect(inputs.isolation).toBe('unisolated');
    expect(inputs['allowed-hosts']).toEqual([
      'npm.example.com',
      '*.mirror.example.org:8443',
      '10.0.0.5',
    ]);
    const allow = egressAllowOf(inputs);
    expect(allow).toHaveLength(DEFAULT_EGRESS_ALLOW.length + 3);
    expect(allow).toContainEqual({ host: 'registry.npmjs.org', subdomains: false });
    expect(allow).toContainEqual({ host: 'mirror.example.org', subdomains: true, port: 8443 });
    expect(inputs.pricing).toEqual({
      ...defaultPricing,
      'claude-sonnet-5-5': own,
      'my-model': own,
    });
    expect(inputs.pricing['claude-opus-5-5']).toEqual(defaultPricing['claude-opus-5-5']);
  });

  it('refuses a bad allowed host, naming the input and the entry', () => {
    const message = refusal({ 'allowed-hosts': 'ok.example.com\nhttps://evil.example/x\n*.com' });
    expect(message).toContain(
      '- `allowed-hosts`: network.allow entry "https://evil.example/x": it must be a host, not a URL or a path',
    );
    expect(message).toContain(
      '- `allowed-hosts`: network.allow entry "*.com": a wildcard needs at least two labels after it',
    );
    expect(message).not.toContain('ok.example.com');
  });

  it('refuses an unknown isolation and prices of the wrong shape, naming the input', () => {
    expect(refusal({ isolation: 'none' })).toMatch(/^invalid input:\n- `isolation`: /);
    expect(refusal({ pricing: '{"m": {"input": 1}}' })).toMatch(/- `pricing`: m\.output: /);
    expect(refusal({ pricing: 'cheap' })).toMatch(/- `pricing`: not valid JSON/);
  });
});

describe("the config's rules", () => {
  it('default to none (an older workflow sends none) and read a JSON list', () => {
    expect(agent().rules).toEqual([]);
    expect(agent({ rules: '' }).rules).toEqual([]);
    expect(agent({ rules: '["Use tabs.","Tests first:\\nthen the code."]' }).rules).toEqual([
      'Use tabs.',
      'Tests first:\nthen the code.',
    ]);
  });

  it('refuses rules that are not a JSON list of strings, naming the input', () => {
    expect(refusal({ rules: 'Use tabs.' })).toMatch(/^invalid input:\n- `rules`: not valid JSON/);
    expect(refusal({ rules: '[1]' })).toMatch(/- `rules`: 0: /);
  });
});
