import { z } from 'zod';

/**
 * Completion criteria: what "done" means for a task. The Action evaluates the leaves (it runs
 * commands and reads files); the core owns the model and the pure rules that combine results.
 */
export type Criterion =
  | { kind: 'command'; run: string; timeoutSec?: number | undefined }
  | {
      kind: 'file';
      path: string;
      exists?: boolean | undefined;
      sha256?: string | undefined;
      minBytes?: number | undefined;
      maxBytes?: number | undefined;
    }
  | { kind: 'grep'; pattern: string; in: string; present: boolean }
  | {
      kind: 'metric';
      run: string;
      name: string;
      target: number;
      direction: 'at-least' | 'at-most';
      consecutive: number;
    }
  | {
      kind: 'composite';
      mode: 'all' | 'any' | 'at-least';
      n?: number | undefined;
      of: Criterion[];
    };

const text = (max: number) => z.string().trim().min(1).max(max);

/** The leaf kinds; the Action evaluates these. */
const LEAF_CRITERIA = [
  z.strictObject({
    kind: z.literal('command'),
    run: text(2000),
    timeoutSec: z.number().int().positive().max(3600).optional(),
  }),
  z
    .strictObject({
      kind: z.literal('file'),
      path: text(500),
      exists: z.boolean().optional(),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters')
        .optional(),
      minBytes: z.number().int().nonnegative().optional(),
      maxBytes: z.number().int().nonnegative().optional(),
    })
    .refine(
      (c) => c.minBytes === undefined || c.maxBytes === undefined || c.minBytes <= c.maxBytes,
      {
        message: 'minBytes must not be larger than maxBytes',
      },
    ),
  z.strictObject({
    kind: z.literal('grep'),
    pattern: text(500).refine(isValidRegExp, 'pattern is not a valid regular expression'),
    in: text(500),
    present: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('metric'),
    run: text(2000),
    name: z.string().regex(/^[A-Za-z_][\w.-]{0,63}$/, 'metric names are letters, digits, _ . -'),
    target: z.number().finite(),
    direction: z.enum(['at-least', 'at-most']),
    consecutive: z.number().int().min(1).max(20),
  }),
] as const;

const compositeOf = (inner: z.ZodType<Criterion>) =>
  z
    .strictObject({
      kind: z.literal('composite'),
      mode: z.enum(['all', 'any', 'at-least']),
      n: z.number().int().positive().optional(),
      of: z.array(inner).min(1).max(20),
    })
    .refine((c) => c.mode !== 'at-least' || (c.n !== undefined && c.n <= c.of.length), {
      message: "mode 'at-least' needs n between 1 and the number of criteria in 'of'",
    });

/** A criterion: a leaf, or a composite of criteria nested to any depth. */
export const CriterionSchema: z.ZodType<Criterion> = z.lazy(() =>
  z.discriminatedUnion('kind', [...LEAF_CRITERIA, compositeOf(CriterionSchema)]),
);

/**
 * For a model's structured output: composites of leaves only, because strict output schemas
 * cannot be recursive. Everything it accepts is a valid `Criterion`.
 */
export const FlatCriterionSchema: z.ZodType<Criterion> = z.discriminatedUnion('kind', [
  ...LEAF_CRITERIA,
  compositeOf(z.discriminatedUnion('kind', [...LEAF_CRITERIA])),
]);

function isValidRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Result of one leaf, addressed by its path in the criteria tree ("0", "2.1", ...). */
export interface LeafResult {
  path: string;
  passed: boolean;
  detail: string;
}

export interface CriterionOutcome {
  path: string;
  kind: Criterion['kind'];
  passed: boolean;
  detail: string;
  children?: CriterionOutcome[];
}

/** Every leaf of a criteria list with its path, in evaluation order. */
export function criterionLeaves(
  criteria: readonly Criterion[],
): { path: string; criterion: Criterion }[] {
  const out: { path: string; criterion: Criterion }[] = [];
  const walk = (c: Criterion, path: string) => {
    if (c.kind === 'composite') c.of.forEach((child, i) => walk(child, `${path}.${i}`));
    else out.push({ path, criterion: c });
  };
  criteria.forEach((c, i) => walk(c, String(i)));
  return out;
}

/**
 * Combine leaf results into the outcome of each top-level criterion. A leaf without a result
 * counts as failed ("not evaluated"), so a missing result can never make a task pass.
 */
export function combineCriteria(
  criteria: readonly Criterion[],
  leaves: readonly LeafResult[],
): { passed: boolean; outcomes: CriterionOutcome[] } {
  const byPath = new Map(leaves.map((l) => [l.path, l]));
  const judge = (c: Criterion, path: string): CriterionOutcome => {
    if (c.kind !== 'composite') {
      const r = byPath.get(path);
      return {
        path,
        kind: c.kind,
        passed: r?.passed ?? false,
        detail: r?.detail ?? 'not evaluated',
      };
    }
    const children = c.of.map((child, i) => judge(child, `${path}.${i}`));
    const passedCount = children.filter((o) => o.passed).length;
    const needed =
      c.mode === 'all' ? children.length : c.mode === 'any' ? 1 : (c.n ?? children.length);
    return {
      path,
      kind: 'composite',
      passed: passedCount >= needed,
      detail: `${passedCount}/${children.length} passed, ${needed} needed`,
      children,
    };
  };
  const outcomes = criteria.map((c, i) => judge(c, String(i)));
  return { passed: outcomes.every((o) => o.passed), outcomes };
}

const METRIC_LINE =
  /^METRIC\s+([A-Za-z_][\w.-]{0,63})=(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

/** Values of `METRIC name=value` lines in a command's output, last one wins per name. */
export function parseMetrics(output: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of output.split(/\r?\n/)) {
    const m = METRIC_LINE.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) values.set(m[1], Number(m[2]));
  }
  return values;
}

export function metricMeetsTarget(
  value: number,
  spec: { target: number; direction: 'at-least' | 'at-most' },
): boolean {
  return spec.direction === 'at-least' ? value >= spec.target : value <= spec.target;
}

/**
 * A metric has converged when its last `consecutive` readings all meet the target. A reading
 * that is missing (the command printed no such metric) is recorded as `undefined` and breaks
 * the streak.
 */
export function metricConverged(
  history: readonly (number | undefined)[],
  spec: { target: number; direction: 'at-least' | 'at-most'; consecutive: number },
): boolean {
  if (history.length < spec.consecutive) return false;
  return history
    .slice(-spec.consecutive)
    .every((v) => v !== undefined && metricMeetsTarget(v, spec));
}
