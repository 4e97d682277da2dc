import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The core does no I/O and reads no clock, randomness or environment. ESLint enforces the same
 * rules while editing (eslint.config.js); this test keeps the guarantee even if lint is skipped.
 */
const root = join(import.meta.dirname, '../../src/core');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

const FORBIDDEN_MODULE =
  /^(probot|nock|undici|@octokit\/|@actions\/|@anthropic-ai\/|(node:)?(fs|child_process|net|http|https|os|dns|worker_threads)(\/|$)|\.\.\/(app|action|planner|standin|sim)\/)/;
const FORBIDDEN_CALL =
  /\bDate\.now\(|\bnew Date\(\s*\)|\bMath\.random\(|\bperformance\.now\(|\bprocess\.|\brandom(UUID|Bytes|Int)\b|\bsetTimeout\(|\bsetInterval\(|\bfetch\(/;

describe('src/core purity', () => {
  const sources = files(root).map((f) => ({
    file: relative(root, f),
    text: readFileSync(f, 'utf8'),
  }));

  it('has sources to check', () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it.each(sources)('$file imports nothing that does I/O', ({ text }) => {
    const specifiers = [
      ...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1] ?? m[2]!);
    expect(specifiers.filter((s) => FORBIDDEN_MODULE.test(s))).toEqual([]);
  });

  it.each(sources)('$file reads no clock, randomness or environment', ({ text }) => {
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code.match(FORBIDDEN_CALL)).toBeNull();
  });

  it('the checks catch a violation', () => {
    expect(FORBIDDEN_MODULE.test('node:fs')).toBe(true);
    expect(FORBIDDEN_MODULE.test('@octokit/rest')).toBe(true);
    expect(FORBIDDEN_MODULE.test('node:crypto')).toBe(false);
    expect('const t = Date.now();'.match(FORBIDDEN_CALL)).not.toBeNull();
  });
});
