import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../src/app/config.js';
import {
  configErrorComment,
  CONFIG_KEYS,
  goalSettingsFrom,
  parseConfig,
  triggerLabel,
} from '../../src/app/config.js';
import { DEFAULT_EGRESS_ALLOW } from '../../src/core/egress-allowlist.js';
import { defaultGoalSettings } from '../../src/core/goal.js';

const fail = (yaml: string) => {
  try {
    parseConfig(parse(yaml));
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('expected the config to be refused');
};

describe('.github/gantry.yml', () => {
  it('has a default for everything: a repository without the file gets the documented behaviour', () => {
    const c = parseConfig(undefined);
    expect(c).toMatchObject({
      label: 'gantry',
      rigor: 'L1',
      approval: { policy: 'required' },
      agent: { backend: 'claude-code' },
      llm: { models: { planning: 'claude-opus-5-5' } },
    });
    // Tier estimates come from the LLM defaults: the default token usage at the default prices.
    expect(goalSettingsFrom(c, [])).toEqual({
      ...defaultGoalSettings,
      tiers: {
        small: { model: 'claude-sonnet-5-5', estimateUsd: 0.45 },
        medium: { model: 'claude-sonnet-5-5', estimateUsd: 1.2 },
        large: { model: 'claude-opus-5-5', estimateUsd: 6 },
      },
    });
  });

  it('reads a real file', () => {
    const c = parseConfig(
      parse(`
label: ai
rigor: L2
maxParallel: 5
budget: { goalUsd: 40, dailyUsd: 100 }
ci: { policy: optional, timeoutMinutes: 20 }
blockedPaths: [infra/**]
llm:
  models: { planning: claude-sonnet-5-5 }
`),
    );
    expect(goalSettingsFrom(c, [])).toMatchObject({
      maxParallel: 5,
      ci: { policy: 'optional', timeoutMs: 1_200_000 },
      budget: { goalUsd: 40, taskUsd: 5 },
    });
    expect(c.llm.models.planning).toBe('claude-sonnet-5-5');
    const priced = parseConfig(
      parse(`
llm:
  models: { tiers: { large: claude-sonnet-5-5 } }
  tierUsage: { small: { inputTokens: 1000000, outputTokens: 0 } }
`),
    );
    expect(goalSettingsFrom(priced, []).tiers).toMatchObject({
      small: { model: 'claude-sonnet-5-5', estimateUsd: 2 },
      large: { model: 'claude-sonnet-5-5', estimateUsd: 3 },
    });
    expect(c.budget.dailyUsd).toBe(100);
  });

  it('applies the auto approval policy only to issues with the auto label', () => {
    const c = parseConfig(parse('approval: { policy: auto, autoLabel: go }\n'));
    expect(goalSettingsFrom(c, ['gantry']).approval).toBe('required');
    expect(goalSettingsFrom(c, ['gantry', 'go']).approval).toBe('auto');
    const required = parseConfig(parse('approval: { autoLabel: go }\n'));
    expect(goalSettingsFrom(required, ['go']).approval).toBe('required');
  });

  it('auto-approves recovery tasks only when the config says so', () => {
    expect(goalSettingsFrom(parseConfig(undefined), []).recovery).toEqual({ autoApprove: false });
    const on = parseConfig(parse('recovery: { autoApprove: true }\n'));
    expect(goalSettingsFrom(on, []).recovery).toEqual({ autoApprove: true });
    expect(fail('recovery: { autoApprove: yes please }\n').problems).toEqual([
      '`recovery.autoApprove`: Invalid input: expected boolean, received string',
    ]);
  });

  it('adds network.allow to the default egress list, refusing a bad entry by name', () => {
    expect(parseConfig(undefined).network.allow).toEqual([]);
    const c = parseConfig(
      parse('network:\n  allow: [npm.example.com, " *.mirror.example.org:8443 ", 10.0.0.5]\n'),
    );
    expect(c.network.allow).toEqual(['npm.example.com', '*.mirror.example.org:8443', '10.0.0.5']);
    const err = fail('network:\n  allow: [ok.example.com, https://evil.example/x, "*.com"]\n');
    expect(err.problems).toEqual([
      '`network.allow.1`: entry "https://evil.example/x": it must be a host, not a URL or a path; write a host name (registry.example.com), optionally with a port (registry.example.com:8443), or *.example.com for its subdomains',
      '`network.allow.2`: entry "*.com": a wildcard needs at least two labels after it; write a host name (registry.example.com), optionally with a port (registry.example.com:8443), or *.example.com for its subdomains',
    ]);
    expect(configErrorComment(err)).toContain('`network.allow.1`: entry "https://evil.example/x"');
    expect(fail('network: { allowed: [a.example] }\n').problems).toEqual([
      '`network`: Unrecognized key: "allowed"',
    ]);
  });

  it('runs agents contained unless agent.isolation opts out, and the goal settings carry the opt-out', () => {
    const contained = parseConfig(undefined);
    expect(contained.agent.isolation).toBe('contained');
    expect(goalSettingsFrom(contained, [])).not.toHaveProperty('isolation');
    const opted = parseConfig(parse('agent: { isolation: unisolated }\n'));
    expect(goalSettingsFrom(opted, []).isolation).toBe('unisolated');
    expect(fail('agent: { isolation: off }\n').problems).toEqual([
      '`agent.isolation`: Invalid option: expected one of "contained"|"unisolated"',
    ]);
  });

  it('refuses unknown keys and bad values, naming each, and the comment lists the allowed keys', () => {
    const err = fail('lable: gantry\nmaxParallel: 0\nagent: { backend: command }\n');
    expect(err.problems).toEqual([
      '`maxParallel`: Too small: expected number to be >=1',
      '`agent.command`: agent.command is required when agent.backend is command',
      '`(file)`: Unrecognized key: "lable"',
    ]);
    const comment = configErrorComment(err);
    expect(comment).toContain('`.github/gantry.yml` is invalid');
    expect(comment).toContain('Allowed top-level keys: `label`, `approval`, `rigor`, `llm`');
    expect(comment).toContain('re-add the `gantry` label');
    // A repository with its own label is told that one.
    expect(configErrorComment(err, 'ai-goal')).toContain('re-add the `ai-goal` label');
  });

  it('quotes the YAML of an invalid config inert in its comment', () => {
    const comment = configErrorComment(fail('"<img src=x>": 1\n"@org/team": 2\n'));
    expect(comment).not.toMatch(/<img|@org\/team/);
    expect(comment).toContain('Unrecognized keys: "&lt;img src=x&gt;", "@\u2060org/team"');
  });

  it('reads the trigger label even from an otherwise invalid config', () => {
    expect(triggerLabel(parse('label: ai\nmaxParalel: 3\n'))).toBe('ai');
    expect(triggerLabel(undefined)).toBe('gantry');
    expect(triggerLabel({ label: 42 })).toBe('gantry');
  });
});

describe('the README', () => {
  it('documents every top-level key of .github/gantry.yml', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Configuration: `.github/gantry.yml`'));
    const missing = CONFIG_KEYS.filter((k) => !new RegExp(`\\| \`${k}[.\`]`).test(section));
    expect(missing).toEqual([]);
  });

  it('lists the default egress allowlist', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('**`network.allow`**'));
    expect(DEFAULT_EGRESS_ALLOW.filter((h) => !section.includes(`\`${h}\``))).toEqual([]);
  });
});
