import * as core from '@actions/core';
import { join } from 'node:path';
import { z } from 'zod';
import { TaskSchema } from '../core/plan.js';

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
  command: z.string(),
  'output-dir': z.string(),
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
  'blocked-paths': list,
  'max-files': int(1, 100_000),
  'max-patch-bytes': int(1, 100 * 1024 * 1024),
  'publish-partial': bool,
  remote: z.string().min(1),
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
  command: '',
  'output-dir': '',
  approver: '',
  'blocked-paths': '',
  'max-files': '200',
  'max-patch-bytes': String(5 * 1024 * 1024),
  'publish-partial': 'false',
  remote: 'origin',
};

export class InputError extends Error {
  override name = 'InputError';
}

/** Read and validate every input; a bad one fails with a message that names it. */
export function readInputs(get: (name: string) => string = (name) => core.getInput(name)): Inputs {
  const mode = get('mode');
  const schema =
    mode === 'agent' ? AgentInputsSchema : mode === 'publish' ? PublishInputsSchema : undefined;
  if (!schema)
    throw new InputError(`input \`mode\` must be \`agent\` or \`publish\`, not \`${mode}\``);
  const raw = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, get(k) || INPUT_DEFAULTS[k] || '']),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new InputError(
      `invalid input${parsed.error.issues.length > 1 ? 's' : ''}:\n${parsed.error.issues.map((i) => `- \`${String(i.path[0])}\`: ${i.message}`).join('\n')}`,
    );
  const inputs = parsed.data;
  if (inputs.mode === 'agent') {
    if (inputs.backend === 'command' && !inputs.command)
      throw new InputError('input `command` is required when `backend` is `command`');
    if (!inputs['output-dir'])
      inputs['output-dir'] = join(process.env.RUNNER_TEMP ?? '.', 'gantry');
  }
  return inputs;
}
