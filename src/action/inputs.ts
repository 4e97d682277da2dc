import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_EGRESS_ALLOW, parseAllowList, type AllowEntry } from '../core/egress-allowlist.js';
import { DEFAULT_BLOCKED, DEFAULT_MAX_FILE_BYTES, type PathPolicy } from '../core/path-policy.js';
import { TaskSchema } from '../core/plan.js';
import { defaultPricing, ModelPriceSchema } from '../llm/model-price.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx): z.infer<T> => {
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues)
        ctx.addIssue({
          code: 'custom',
          message: `${issue.path.join('.') || '(value)'}: ${issue.message}`,
        });
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(e as Error).message}` });
    }
    return z.NEVER;
  });
const bool = z.enum(['true', 'false', '']).transform((v) => v === 'true');
const list = z.string().transform((v) =>
  v
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean),
);

const FindingSchema = z.strictObject({
  kind: z.enum(['constraint', 'decision', 'gotcha']),
  text: z.string().max(300),
  source: z.string().optional(),
});

/** What a change may contain: both jobs judge it by the same rules (src/core/path-policy.ts). */
const policyInputs = {
  'blocked-paths': list,
  'max-files': int(1, 100_000),
  'max-patch-bytes': int(1, 100 * 1024 * 1024),
  'max-file-bytes': int(1, 100 * 1024 * 1024),
};

/** Inputs of the agent job (contents: read; has the LLM key in its environment, not as an input). */
export const AgentInputsSchema = z.object({
  mode: z.literal('agent'),
  task: json(TaskSchema),
  goal: int(1, 1e9),
  attempt: int(1, 100),
  'base-sha': z.string().regex(/^[0-9a-f]{7,64}$/, 'must be a commit sha'),
  'distinct-id': z.string().max(100),
  backend: z.enum(['claude-code', 'anthropic', 'command']),
  model: z.string().min(1),
  'max-turns': int(1, 500),
  'max-budget-usd': z.coerce.number().positive().max(1000),
  'criteria-iterations': int(1, 10),
  'timeout-minutes': int(1, 360),
  knowledge: z
    .string()
    .transform((v) => v || '[]')
    .pipe(json(z.array(FindingSchema).max(50))),
  guidance: z.string().max(10_000),
  /** The config's `rules`, as a JSON list of strings (a rule may span lines); absent from older workflows. */
  rules: z
    .string()
    .optional()
    .transform((v) => v || '[]')
    .pipe(json(z.array(z.string().max(500)).max(50))),
  command: z.string(),
  'output-dir': z.string(),
  ...policyInputs,
  /** `contained`, or `unisolated` when the repository opted out of containment. */
  isolation: z.enum(['contained', 'unisolated']),
  /** The repository's extra egress destinations (the defaults are added by `egressAllowOf`). */
  'allowed-hosts': list.superRefine((entries, ctx) => {
    try {
      parseAllowList(entries);
    } catch (e) {
      // One problem a line, each naming its entry.
      for (const message of (e as Error).message.split('\n'))
        ctx.addIssue({ code: 'custom', message });
    }
  }),
  /** The repository's model prices, merged over the defaults: the table the gateway meters with. */
  pricing: json(z.record(z.string(), ModelPriceSchema)).transform((own) => ({
    ...defaultPricing,
    ...own,
  })),
});

/** Inputs of the publish job (contents: write; no LLM key). */
export const PublishInputsSchema = z.object({
  mode: z.literal('publish'),
  'result-dir': z.string().min(1),
  'base-sha': z.string().regex(/^[0-9a-f]{7,64}$/, 'must be a commit sha'),
  goal: int(1, 1e9),
  'task-id': z.string().regex(/^T[1-9]\d{0,3}$/, 'must be a task id like T3'),
  attempt: int(1, 100),
  title: z.string().min(1).max(200),
  approver: z.string().regex(/^$|^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be a GitHub login'),
  'distinct-id': z.string().max(100),
  ...policyInputs,
  'publish-partial': bool,
  remote: z.string().min(1),
  /** Used for the push only, in a header of that one git command; never written to .git/config. */
  'github-token': z.string(),
  'output-dir': z.string(),
});

export type AgentInputs = z.output<typeof AgentInputsSchema>;
export type PublishInputs = z.output<typeof PublishInputsSchema>;
export type Inputs = AgentInputs | PublishInputs;

/** Defaults, as action.yml declares them (a runner fills them in; a test or the stand-in may not). */
export const INPUT_DEFAULTS: Record<string, string> = {
  'distinct-id': '',
  backend: 'claude-code',
  model: 'claude-sonnet-5-5',
  'max-turns': '60',
  'max-budget-usd': '2',
  'criteria-iterations': '3',
  'timeout-minutes': '45',
  knowledge: '[]',
  guidance: '',
  rules: '[]',
  command: '',
  isolation: 'contained',
  'allowed-hosts': '',
  pricing: '{}',
  'output-dir': '',
  approver: '',
  'blocked-paths': DEFAULT_BLOCKED.join('\n'),
  'max-files': '200',
  'max-patch-bytes': String(5 * 1024 * 1024),
  'max-file-bytes': String(DEFAULT_MAX_FILE_BYTES),
  'publish-partial': 'false',
  remote: 'origin',
};

export class InputError extends Error {
  override name = 'InputError';
}

/**
 * Inputs whose empty value means "none" rather than "the default": a repository that sets
 * `blockedPaths: []` sends an empty `blocked-paths`, and must get only the built-in block.
 */
const EMPTY_IS_A_VALUE = new Set(['blocked-paths']);

/** An input as the runner passes it; undefined when the step did not give it. */
const fromEnv = (name: string): string | undefined =>
  process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]?.trim();

/** Read and validate every input; a bad one fails with a message that names it. */
export function readInputs(get: (name: string) => string | undefined = fromEnv): Inputs {
  const mode = get('mode') ?? '';
  const schema =
    mode === 'agent' ? AgentInputsSchema : mode === 'publish' ? PublishInputsSchema : undefined;
  if (!schema)
    throw new InputError(`input \`mode\` must be \`agent\` or \`publish\`, not \`${mode}\``);
  const raw = Object.fromEntries(
    Object.keys(schema.shape).map((k) => {
      const given = get(k);
      const keep = given !== undefined && (given !== '' || EMPTY_IS_A_VALUE.has(k));
      return [k, keep ? given : INPUT_DEFAULTS[k] || ''];
    }),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new InputError(
      `invalid input${parsed.error.issues.length > 1 ? 's' : ''}:\n${parsed.error.issues.map((i) => `- \`${String(i.path[0])}\`: ${i.message}`).join('\n')}`,
    );
  const inputs = parsed.data;
  if (inputs.mode === 'agent' && inputs.backend === 'command' && !inputs.command)
    throw new InputError('input `command` is required when `backend` is `command`');
  if (!inputs['output-dir'])
    inputs['output-dir'] = join(
      process.env.RUNNER_TEMP ?? '.',
      inputs.mode === 'agent' ? 'gantry' : 'gantry-publish',
    );
  return inputs;
}

/** The path policy the inputs describe. */
export function policyOf(inputs: Inputs): PathPolicy {
  return {
    blocked: inputs['blocked-paths'],
    maxFiles: inputs['max-files'],
    maxPatchBytes: inputs['max-patch-bytes'],
    maxFileBytes: inputs['max-file-bytes'],
  };
}

/** Where the agent's network may go: the default registries and the repository's own entries. */
export function egressAllowOf(inputs: AgentInputs): AllowEntry[] {
  return parseAllowList([...DEFAULT_EGRESS_ALLOW, ...inputs['allowed-hosts']]);
}
