import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateCriteria } from '../../src/action/criteria/evaluate.js';
import type { Criterion } from '../../src/core/criteria.js';
import { makeRepo } from '../support/git-repo.js';

const repo = makeRepo({
  'src/a.ts': 'export function login() {}\n// TODO later\n',
  'src/b.ts': 'const x = 1;\n',
  'README.md': '# hi\n',
});
const ctx = { cwd: repo.dir, commandTimeoutMs: 10_000 };
const one = async (c: Criterion) => (await evaluateCriteria([c], ctx)).outcomes[0]!;

describe('criteria in a real checkout', () => {
  it.each<[string, Criterion, boolean, RegExp]>([
    ['command passes', { kind: 'command', run: 'test -f README.md' }, true, /exited 0/],
    [
      'command fails with its output',
      { kind: 'command', run: 'echo boom >&2; exit 3' },
      false,
      /exited 3\nboom/,
    ],
    ['command times out', { kind: 'command', run: 'sleep 5', timeoutSec: 1 }, false, /timed out/],
    ['file exists', { kind: 'file', path: 'src/a.ts' }, true, /exists/],
    ['file missing', { kind: 'file', path: 'src/zzz.ts' }, false, /does not exist/],
    [
      'file must be absent',
      { kind: 'file', path: 'src/zzz.ts', exists: false },
      true,
      /as required/,
    ],
    ['file too small', { kind: 'file', path: 'README.md', minBytes: 100 }, false, /below 100/],
    [
      'file outside the repo',
      { kind: 'file', path: '../../etc/passwd' },
      false,
      /outside the repository/,
    ],
    [
      'grep present in a glob',
      { kind: 'grep', pattern: 'export function login', in: 'src/**/*.ts', present: true },
      true,
      /found in src\/a.ts:1/,
    ],
    [
      'grep absent fails when found',
      { kind: 'grep', pattern: 'TODO', in: 'src/*.ts', present: false },
      false,
      /must be absent but is in src\/a.ts:2/,
    ],
    [
      'grep absent passes',
      { kind: 'grep', pattern: 'FIXME', in: 'src/*.ts', present: false },
      true,
      /absent from src\/\*.ts \(2 files\)/,
    ],
    [
      'grep present fails',
      { kind: 'grep', pattern: 'nowhere', in: 'README.md', present: true },
      false,
      /not found in README.md \(1 files\)/,
    ],
  ])('%s', async (_name, criterion, passed, detail) => {
    const o = await one(criterion);
    expect(o.passed).toBe(passed);
    expect(o.detail).toMatch(detail);
  });

  it('checks a file hash', async () => {
    const hash = createHash('sha256').update('# hi\n').digest('hex');
    expect((await one({ kind: 'file', path: 'README.md', sha256: hash })).passed).toBe(true);
    expect((await one({ kind: 'file', path: 'README.md', sha256: '0'.repeat(64) })).detail).toMatch(
      /has sha256/,
    );
  });

  it('needs K consecutive metric readings on target, counting runs', async () => {
    // Each run of the command prints the next value from a counter file.
    const counter = join(repo.dir, 'count');
    writeFileSync(counter, '0');
    const run = `n=$(cat count); n=$((n+1)); echo $n > count; echo "METRIC p95_ms=$((120 - n * 10))"`;
    const metric = (consecutive: number): Criterion => ({
      kind: 'metric',
      run,
      name: 'p95_ms',
      target: 100,
      direction: 'at-most',
      consecutive,
    });
    // Readings 110: the first already misses.
    expect(await one(metric(2))).toMatchObject({
      passed: false,
      detail: expect.stringContaining('p95_ms: 110; needs at-most 100'),
    });
    // Readings 100, 90, 80: three in a row on target.
    expect(await one(metric(3))).toMatchObject({
      passed: true,
      detail: 'p95_ms: 100, 90, 80 met at-most 100 3 times in a row',
    });
    expect(
      await one({
        kind: 'metric',
        run: 'echo nothing',
        name: 'p95_ms',
        target: 1,
        direction: 'at-least',
        consecutive: 1,
      }),
    ).toMatchObject({
      passed: false,
      detail: expect.stringContaining('printed no `METRIC p95_ms=…`'),
    });
  });

  it('combines composites from their leaves', async () => {
    const r = await evaluateCriteria(
      [
        {
          kind: 'composite',
          mode: 'at-least',
          n: 2,
          of: [
            { kind: 'file', path: 'src/a.ts' },
            { kind: 'file', path: 'nope' },
            { kind: 'command', run: 'true' },
          ],
        },
      ],
      ctx,
    );
    expect(r.passed).toBe(true);
    expect(r.outcomes[0]).toMatchObject({ detail: '2/3 passed, 2 needed' });
  });
});
