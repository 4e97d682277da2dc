import { parse } from 'yaml';
import { z } from 'zod';

/**
 * A workflow file as the stand-in runs it, validated at the boundary: YAML in, this model out,
 * with GitHub's spellings (`run-name`, `timeout-minutes`, `needs: a` or `[a, b]`, `on: x`,
 * `[x, y]` or `{ x: ... }`) turned into one shape. Keys the stand-in has no use for (`runs-on`,
 * other triggers, input descriptions) are dropped.
 */
export interface Workflow {
  name: string | undefined;
  runName: string | undefined;
  permissions: Permissions | undefined;
  /** The `workflow_dispatch` trigger; undefined when the workflow has none. */
  dispatch: { inputs: Record<string, DispatchInput> } | undefined;
  concurrency: { group: string; cancelInProgress: boolean } | undefined;
  /** In declaration order. */
  jobs: Record<string, Job>;
}

export type Permissions = Record<string, Access> | 'read-all' | 'write-all';
type Access = 'read' | 'write' | 'none';

export interface DispatchInput {
  required: boolean;
  default: string | undefined;
}

export interface Job {
  permissions: Permissions | undefined;
  needs: string[];
  if: string | boolean | undefined;
  /** A number, or an expression that gives one. */
  timeoutMinutes: string;
  outputs: Record<string, string>;
  steps: Step[];
}

/** Exactly one of `uses` and `run` is set. */
export interface Step {
  id: string | undefined;
  name: string | undefined;
  if: string | boolean | undefined;
  uses: string | undefined;
  run: string | undefined;
  with: Record<string, string>;
  env: Record<string, string>;
}

/** A workflow file the stand-in refuses; the message names the file, the field and the fix. */
export class WorkflowError extends Error {
  override name = 'WorkflowError';
}

// GitHub's default job timeout, in minutes.
const DEFAULT_TIMEOUT = '360';

/** A value GitHub passes on as text (`with:`, `env:`, defaults): a scalar, none meaning ''. */
const text = z
  .union([z.string(), z.number(), z.boolean(), z.null()], {
    error: 'must be a string, a number or a boolean, not a list or a mapping',
  })
  .transform((v) => (v === null ? '' : String(v)));
const texts = z.record(z.string(), text, { error: 'must be a mapping of names to values' });
const condition = z.union([z.string(), z.boolean()], {
  error: "must be an expression such as `always()` or `inputs.x == 'y'`",
});
const access = z.enum(['read', 'write', 'none'], { error: 'must be read, write or none' });
const permissions = z.union(
  [z.literal('read-all'), z.literal('write-all'), z.record(z.string(), access)],
  {
    error:
      'must be read-all, write-all or a mapping such as `{ contents: read }` (read, write or none)',
  },
);

const input = z
  .object({
    required: z.boolean({ error: 'must be true or false' }).optional(),
    default: text.optional(),
  })
  .nullable()
  .transform((i): DispatchInput => ({ required: i?.required ?? false, default: i?.default }));
const dispatchTrigger = z
  .object({
    inputs: z
      .record(z.string(), input, { error: 'must be a mapping of input names to their specs' })
      .optional(),
  })
  .nullable()
  .transform((d) => ({ inputs: d?.inputs ?? {} }));
// `on: x` and `on: [x, y]` are short for `on: { x: null, y: null }`.
const on = z.preprocess(
  (v) =>
    typeof v === 'string' || Array.isArray(v)
      ? Object.fromEntries([v].flat().map((event) => [String(event), null]))
      : v,
  z
    .object(
      { workflow_dispatch: dispatchTrigger.optional() },
      { error: 'must be an event name, a list of them, or a mapping of events' },
    )
    .transform((events) => events.workflow_dispatch),
);
// `concurrency: g` is short for `concurrency: { group: g }`.
const concurrency = z.preprocess(
  (v) => (typeof v === 'string' ? { group: v } : v),
  z
    .object(
      {
        group: z.string({ error: 'must name the concurrency group' }),
        'cancel-in-progress': z.boolean({ error: 'must be true or false' }).optional(),
      },
      { error: 'must be a group name or `{ group: ..., cancel-in-progress: true }`' },
    )
    .transform((c) => ({ group: c.group, cancelInProgress: c['cancel-in-progress'] ?? false })),
);

const step = z
  .object({
    id: z.string({ error: 'must be a name' }).optional(),
    name: z.string({ error: 'must be text' }).optional(),
    if: condition.optional(),
    uses: z.string({ error: 'must be an action such as `actions/checkout@v5`' }).optional(),
    run: z.string({ error: 'must be a script' }).optional(),
    with: texts.optional(),
    env: texts.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.uses !== undefined && s.run !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'has both `uses` and `run`: a step runs an action or a script; split it in two',
      });
    if (s.uses === undefined && s.run === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'has neither `uses` nor `run`: say what the step does',
      });
  })
  .transform((s): Step => ({
    id: s.id,
    name: s.name,
    if: s.if,
    uses: s.uses,
    run: s.run,
    with: s.with ?? {},
    env: s.env ?? {},
  }));
const job = z
  .object(
    {
      permissions: permissions.optional(),
      needs: z
        .union([z.string(), z.array(z.string())], {
          error: 'must be a job name or a list of them',
        })
        .optional(),
      if: condition.optional(),
      'timeout-minutes': z
        .union([z.string(), z.number()], { error: 'must be a number of minutes' })
        .optional(),
      outputs: texts.optional(),
      steps: z.array(step, { error: 'must be a list of steps' }).optional(),
    },
    { error: 'must be a mapping with `steps:`' },
  )
  .transform((j): Job => ({
    permissions: j.permissions,
    needs: [j.needs ?? []].flat(),
    if: j.if,
    timeoutMinutes: String(j['timeout-minutes'] ?? DEFAULT_TIMEOUT),
    outputs: j.outputs ?? {},
    steps: j.steps ?? [],
  }));
const workflow = z
  .object(
    {
      name: z.string({ error: 'must be text' }).optional(),
      'run-name': z.string({ error: 'must be text' }).optional(),
      permissions: permissions.optional(),
      on: on.optional(),
      concurrency: concurrency.optional(),
      jobs: z.record(z.string(), job, { error: 'must be a mapping of job names to jobs' }),
    },
    { error: 'must be a mapping with `on:` and `jobs:`' },
  )
  .transform((w): Workflow => ({
    name: w.name,
    runName: w['run-name'],
    permissions: w.permissions,
    dispatch: w.on,
    concurrency: w.concurrency,
    jobs: w.jobs,
  }));

/** The workflow at `path` (for messages) from its text; a WorkflowError says what to fix. */
export function parseWorkflow(path: string, source: string): Workflow {
  let raw: unknown;
  try {
    raw = parse(source);
  } catch (e) {
    throw new WorkflowError(`${path} is not valid YAML: ${(e as Error).message}`);
  }
  const parsed = workflow.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${field(i.path)} ${i.message}`);
  throw new WorkflowError(`${path} is not a workflow the stand-in can run: ${problems.join('; ')}`);
}

/** `jobs.build.steps[2].with`, as a reader finds it in the file. */
function field(path: readonly PropertyKey[]): string {
  if (!path.length) return 'the file';
  const at = path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`));
  return `\`${at.join('')}\``;
}

/**
 * What a job's `GITHUB_TOKEN` may do with the repository's contents: the job's `permissions`,
 * else the workflow's; `{}` grants nothing; none at all means GitHub's default for new
 * repositories, read.
 */
export function contentsPermission(job: Job, wf: Workflow): Access {
  const p = job.permissions ?? wf.permissions;
  if (p === undefined || p === 'read-all') return 'read';
  if (p === 'write-all') return 'write';
  return p.contents ?? 'none';
}
