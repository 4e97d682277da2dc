import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EGRESS_ALLOW,
  isAllowed,
  parseAllowEntry,
  parseAllowList,
} from '../../src/core/egress-allowlist.js';

describe('the egress allowlist', () => {
  const allow = parseAllowList([
    'registry.npmjs.org',
    '*.example.com',
    'mirror.corp:8443',
    '10.0.0.7:3128',
  ]);

  it('allows a listed host on 443 and 80 only, unless the entry names its port', () => {
    expect(isAllowed(allow, 'registry.npmjs.org', 443)).toBe(true);
    expect(isAllowed(allow, 'REGISTRY.npmjs.org.', 80)).toBe(true);
    expect(isAllowed(allow, 'registry.npmjs.org', 22)).toBe(false);
    expect(isAllowed(allow, 'mirror.corp', 8443)).toBe(true);
    expect(isAllowed(allow, 'mirror.corp', 443)).toBe(false);
    expect(isAllowed(allow, '10.0.0.7', 3128)).toBe(true);
    expect(isAllowed(allow, '10.0.0.8', 3128)).toBe(false);
  });

  it('a wildcard covers subdomains, not the suffix itself nor look-alikes', () => {
    expect(isAllowed(allow, 'a.b.example.com', 443)).toBe(true);
    expect(isAllowed(allow, 'example.com', 443)).toBe(false);
    expect(isAllowed(allow, 'evilexample.com', 443)).toBe(false);
    expect(isAllowed(allow, 'example.com.evil.net', 443)).toBe(false);
    expect(isAllowed(allow, 'registry.npmjs.org.evil.net', 443)).toBe(false);
  });

  it('refuses malformed entries with a message naming the entry and the form expected', () => {
    for (const bad of [
      'https://x.org',
      'x.org/path',
      '*',
      '*.com',
      'a.*.org',
      'x.org:0',
      'x.org:70000',
      '',
      'user@x.org',
      '-x.org',
    ])
      expect(() => parseAllowEntry(bad), bad).toThrow(/network\.allow entry .*write a host name/);
    expect(() => parseAllowList(['ok.org', 'bad/one', 'also bad'])).toThrow(
      /bad\/one[\s\S]*also bad/,
    );
  });

  it('the defaults are valid entries', () => {
    expect(parseAllowList(DEFAULT_EGRESS_ALLOW)).toHaveLength(DEFAULT_EGRESS_ALLOW.length);
    expect(isAllowed(parseAllowList(DEFAULT_EGRESS_ALLOW), 'github.com', 443)).toBe(false);
  });
});
