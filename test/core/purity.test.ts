import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
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
  /^(probot|nock|undici|@octokit\/|@actions\/|@anthropic-ai\/|(node:)?(fs|child_process|net|http|https|os|dns|worker_threads)(\/|$)|\.\.?\/(.*\/)?(llm|planner|app|action|standin|sim)\/)/;
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
    expect(FORBIDDEN_MODULE.test('../../app/config.js')).toBe(true);
    expect(FORBIDDEN_MODULE.test('../../llm/model-price.js')).toBe(true);
    expect(FORBIDDEN_MODULE.test('../plan.js')).toBe(false);
    expect('const t = Date.now();'.match(FORBIDDEN_CALL)).not.toBeNull();
  });
});

/**
 * The lint rules that state DESIGN.md's layers (eslint.config.js) hold at every depth of relative
 * import. The real config lints each snippet, with only the import rules and without type
 * information (which needs files on disk and takes far longer).
 */
describe('layer rules', () => {
  const eslint = new ESLint({
    cwd: join(import.meta.dirname, '../..'),
    ruleFilter: ({ ruleId }) =>
      ruleId === 'no-restricted-imports' || ruleId === 'no-restricted-syntax',
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  });
  const errors = async (filePath: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(`${code}\n`, { filePath });
    return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
  };

  it.each([
    ['src/core/checklist/x.ts', "import { loadConfig } from '../../app/config.js';", 'src/app'],
    [
      'src/core/checklist/x.ts',
      "import type { LlmConfig } from '../../llm/llm-config.js';",
      'src/llm',
    ],
    ['src/core/x.ts', "export { run } from '../action/main.js';", 'src/action'],
    [
      'src/app/github/x.ts',
      "import type { StandIn } from '../../standin/stand-in.js';",
      'src/standin',
    ],
    ['src/app/x.ts', "import { run } from '../action/main.js';", 'src/action'],
    ['src/action/agent/x.ts', "import { loadConfig } from '../../app/config.js';", 'src/app'],
    ['src/action/x.ts', "import { costOf } from '../planner/pricing.js';", 'src/planner'],
    ['src/action/x.ts', "import { StandIn } from '../standin/stand-in.js';", 'src/standin'],
    ['src/action/agent/x.ts', "export const m = await import('../../app/config.js');", 'src/app'],
    ['src/planner/x.ts', "import { env } from '../app/env.js';", 'src/app'],
    ['src/llm/x.ts', "import { PlannerError } from '../planner/errors.js';", 'src/planner'],
  ])('%s: %s is refused', async (file, code, layer) => {
    const found = await errors(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^no-restricted-(imports|syntax): /);
    // The message names the refused layer after ", not" (an import() lists every refused one).
    expect(found[0]!.split(', not ')[1]).toContain(layer);
    expect(found[0]).toContain('DESIGN.md, Layers');
  });

  it.each([
    ['src/core/checklist/x.ts', "import { Dag } from '../dag.js';"],
    ['src/llm/x.ts', "import { toMicros } from '../core/money.js';"],
    ['src/planner/x.ts', "import { usageCost } from '../llm/usage-cost.js';"],
    ['src/app/github/x.ts', "import { PlannerError } from '../../planner/errors.js';"],
    ['src/action/agent/x.ts', "import { usageCost } from '../../llm/usage-cost.js';"],
    ['src/action/x.ts', "import { createAppAuth } from '@octokit/app/auth';"],
    ['src/standin/x.ts', "import { loadConfig } from '../app/config.js';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await errors(file, code)).toEqual([]);
  });

  it.each([
    ['src/app/x.ts', "import type { ProbotOctokit } from 'probot';"],
    ['src/app/x.ts', "import { request } from '@octokit/request';"],
    ['src/app/sub/x.ts', "import { Octokit } from '@octokit/rest';"],
    ['src/app/x.ts', "import type { EmitterWebhookEvent } from '@octokit/webhooks';"],
  ])('%s: %s is refused: only the GitHub port talks to GitHub', async (file, code) => {
    const found = await errors(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('Only src/app/github/ talks to GitHub');
  });

  it.each([
    ['src/app/github/x.ts', "import type { ProbotOctokit } from 'probot';"],
    ['src/app/github/x.ts', "import type { EmitterWebhookEvent } from '@octokit/webhooks';"],
    ['src/app/main.ts', "import { Probot } from 'probot';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await errors(file, code)).toEqual([]);
  });
});
