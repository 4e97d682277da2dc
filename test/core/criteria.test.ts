import { describe, expect, it } from 'vitest';
import {
  CriterionSchema,
  combineCriteria,
  criterionLeaves,
  metricConverged,
  parseMetrics,
  type Criterion,
} from '../../src/core/criteria.js';

const criteria: Criterion[] = [
  { kind: 'command', run: 'npm test' },
  {
    kind: 'composite',
    mode: 'at-least',
    n: 2,
    of: [
      { kind: 'file', path: 'src/a.ts', exists: true },
      { kind: 'grep', pattern: 'TODO', in: 'src/**/*.ts', present: false },
      {
        kind: 'metric',
        run: 'npm run bench',
        name: 'p95_ms',
        target: 100,
        direction: 'at-most',
        consecutive: 2,
      },
    ],
  },
];

describe('criteria model', () => {
  it('addresses leaves by path and combines all / any / at-least', () => {
    expect(criterionLeaves(criteria).map((l) => l.path)).toEqual(['0', '1.0', '1.1', '1.2']);
    const leaves = [
      { path: '0', passed: true, detail: 'exit 0' },
      { path: '1.0', passed: true, detail: 'exists' },
      { path: '1.1', passed: false, detail: '2 matches' },
      { path: '1.2', passed: true, detail: 'p95_ms=80' },
    ];
    expect(combineCriteria(criteria, leaves).passed).toBe(true);
    const oneLess = leaves.map((l) => (l.path === '1.2' ? { ...l, passed: false } : l));
    const r = combineCriteria(criteria, oneLess);
    expect(r.passed).toBe(false);
    expect(r.outcomes[1]).toMatchObject({ passed: false, detail: '1/3 passed, 2 needed' });
  });

  it('counts a leaf without a result as failed', () => {
    expect(combineCriteria([{ kind: 'command', run: 'true' }], []).outcomes[0]).toMatchObject({
      passed: false,
      detail: 'not evaluated',
    });
    const any: Criterion[] = [
      {
        kind: 'composite',
        mode: 'any',
        of: [
          { kind: 'command', run: 'a' },
          { kind: 'command', run: 'b' },
        ],
      },
    ];
    expect(combineCriteria(any, [{ path: '0.1', passed: true, detail: '' }]).passed).toBe(true);
  });

  it('reads METRIC lines and decides convergence after K consecutive passes', () => {
    expect(
      parseMetrics('noise\nMETRIC p95_ms=120\r\nMETRIC p95_ms=95.5\nMETRIC bad=\nMETRIC cov=-1e2'),
    ).toEqual(
      new Map([
        ['p95_ms', 95.5],
        ['cov', -100],
      ]),
    );
    const spec = { target: 100, direction: 'at-most' as const, consecutive: 2 };
    expect(metricConverged([120, 95], spec)).toBe(false);
    expect(metricConverged([120, 95, 99], spec)).toBe(true);
    expect(metricConverged([95, undefined, 99], spec)).toBe(false);
    expect(metricConverged([1, 2, 3], { target: 2, direction: 'at-least', consecutive: 2 })).toBe(
      true,
    );
  });

  it('rejects malformed criteria with a message that says what is wrong', () => {
    const msg = (c: unknown) => CriterionSchema.safeParse(c).error?.issues[0]?.message;
    expect(msg({ kind: 'grep', pattern: '(', in: 'a', present: true })).toBe(
      'pattern is not a valid regular expression',
    );
    expect(
      msg({ kind: 'composite', mode: 'at-least', n: 3, of: [{ kind: 'command', run: 'x' }] }),
    ).toBe("mode 'at-least' needs n between 1 and the number of criteria in 'of'");
    expect(msg({ kind: 'file', path: 'a', minBytes: 5, maxBytes: 1 })).toBe(
      'minBytes must not be larger than maxBytes',
    );
    expect(msg({ kind: 'file', path: 'a', sha256: 'abc' })).toBe(
      'sha256 must be 64 lowercase hex characters',
    );
  });
});
