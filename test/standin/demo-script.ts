import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeRepo } from '../support/git-repo.js';

/** A one-task plan task as the scripted planner reads it. */
export const task = (id: string, dependsOn: string[] = [], over: object = {}) => ({
  id,
  title: `Task ${id}`,
  description: 'Fix sum.js.',
  dependsOn,
  tier: 'small',
  criteria: [{ kind: 'command', run: 'node --test' }],
  scope: ['sum.js'],
  estimate: 5,
  ...over,
});

/** A scripted plan file with these tasks, in `dir`; its path. */
export function writePlan(dir: string, tasks: object[], name = 'plan.yml'): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      plans: [{ goal: { title: 'Fix sum', body: 'sum subtracts.' }, rigor: 'L1', tasks }],
    }),
  );
  return path;
}

/** The scripted agent that fixes sum.js as T1, in `dir`; its path. */
export function writeAgent(dir: string, name = 'agent.json'): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({ T1: [{ write: { 'sum.js': 'export const sum = (a, b) => a + b;\n' } }] }),
  );
  return path;
}

/** The sum repository's test: it fails until sum adds. */
export const SUM_TEST =
  "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { sum } from '../sum.js';\ntest('sum', () => assert.equal(sum(2, 3), 5));\n";

/** A small repository whose test fails until sum adds, with `extra` files; and a script dir. */
export function sumRepo(extra: Record<string, string> = {}) {
  const local = makeRepo({
    'package.json': '{ "type": "module", "scripts": { "test": "node --test" } }\n',
    'test/sum.test.js': SUM_TEST,
    'sum.js': 'export const sum = (a, b) => a - b;\n',
    ...extra,
  });
  const dir = mkdtempSync(join(tmpdir(), 'demo-script-'));
  return {
    ...local,
    dir: local.dir,
    scripts: dir,
    plan: writePlan(dir, [task('T1')]),
    agent: writeAgent(dir),
  };
}
