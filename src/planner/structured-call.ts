import type Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import type { MessageParam, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { z } from 'zod';
import { toPlannerError } from './anthropic-errors.js';
import {
  PlannerError,
  PlannerOutputError,
  PlannerRequestError,
  PlannerTransientError,
} from './errors.js';
import type { ModelPrice } from '../llm/model-price.js';
import { usageOf } from '../llm/token-usage.js';
import type { CallReport } from './call-report.js';
import type { Result } from './planner.js';
import { costOf } from './pricing.js';
import type { Checked } from './validate-output.js';

export interface StructuredCall<T> {
  operation: CallReport['operation'];
  model: string;
  /** Stable instructions: cached. */
  system: string;
  /** Stable per repository (its context): cached separately. */
  context?: string | undefined;
  user: string;
  /** The JSON schema sent as the structured output format. */
  schema: z.ZodType;
  /** The full check: schema plus rules the schema cannot say (cycles, sizes, ids). */
  check: (data: unknown) => Checked<T>;
  maxTokens: number;
  maxRepairs: number;
}

/**
 * One structured request with a repair loop: an answer that is not valid JSON, fails the check,
 * or was cut off at max_tokens goes back to the model with the exact problems, at most
 * `maxRepairs` times; then a `PlannerOutputError` carries the last problems.
 */
export async function callStructured<T>(
  client: Anthropic,
  pricing: Readonly<Record<string, ModelPrice>>,
  call: StructuredCall<T>,
): Promise<Result<T>> {
  const calls: CallReport[] = [];
  try {
    return await repairLoop(client, pricing, call, calls);
  } catch (e) {
    const err = toPlannerError(e, call.model);
    // Money already spent is reported even when the operation fails.
    if (err instanceof PlannerError) err.calls = calls;
    throw err;
  }
}

async function repairLoop<T>(
  client: Anthropic,
  pricing: Readonly<Record<string, ModelPrice>>,
  call: StructuredCall<T>,
  calls: CallReport[],
): Promise<Result<T>> {
  const { schema } = zodOutputFormat(call.schema);
  const system: TextBlockParam[] = [
    { type: 'text', text: call.system, cache_control: { type: 'ephemeral' } },
  ];
  // Repository context is data, so it goes in the user turn, as a separately cached block.
  const first: TextBlockParam[] = [];
  if (call.context)
    first.push({ type: 'text', text: call.context, cache_control: { type: 'ephemeral' } });
  first.push({ type: 'text', text: call.user });
  const messages: MessageParam[] = [{ role: 'user', content: first }];
  let problems: string[] = [];
  for (let repair = 0; repair <= call.maxRepairs; repair++) {
    const message = await client.messages.create({
      model: call.model,
      max_tokens: call.maxTokens,
      system,
      messages,
      output_config: { format: { type: 'json_schema', schema } },
    });
    // A proxy's or gateway's page (HTML with a 200) is no answer of the API: try again later.
    if (typeof message !== 'object' || !Array.isArray((message as { content?: unknown }).content))
      throw notAnAnswer(`a ${typeof message === 'string' ? 'text' : typeof message} body`);
    const usage = usageOf(message.usage);
    const stopReason = message.stop_reason ?? 'unknown';
    calls.push({
      operation: call.operation,
      provider: 'anthropic',
      model: call.model,
      ...usage,
      costUsd: costOf(usage, call.model, pricing),
      stopReason,
      repair,
    });
    const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
    if (stopReason === 'refusal')
      throw new PlannerOutputError(
        `${call.operation}: the model refused`,
        `The model declined to ${call.operation === 'plan' ? 'plan this issue' : `answer the ${call.operation} request`}. Edit the issue so it describes a normal code change, then \`/gantry replan\`.`,
        ['refused'],
        repair + 1,
      );
    if (stopReason === 'model_context_window_exceeded')
      throw new PlannerRequestError(
        `${call.operation}: the context window is full`,
        `The ${call.operation} request does not fit the model's context window. Shorten the issue (or the repository README), then \`/gantry replan\`.`,
      );
    const checked =
      stopReason === 'max_tokens' ? cutOff(call.maxTokens) : parseAndCheck(text, call.check);
    if (checked.ok) return { value: checked.value, calls };
    problems = checked.problems;
    messages.push(
      { role: 'assistant', content: text || '(empty answer)' },
      {
        role: 'user',
        content: `That answer cannot be used:\n${problems.map((p) => `- ${p}`).join('\n')}\nAnswer again with the complete, corrected JSON.`,
      },
    );
  }
  throw new PlannerOutputError(
    `${call.operation}: invalid after ${call.maxRepairs} repairs: ${problems.join('; ')}`,
    `The ${call.operation === 'plan' ? 'plan' : `${call.operation} answer`} from ${call.model} was still invalid after ${call.maxRepairs} repairs:\n${problems
      .slice(0, 10)
      .map((p) => `- ${p}`)
      .join('\n')}\nMake the issue more specific (or ask for fewer tasks) and \`/gantry replan\`.`,
    problems,
    call.maxRepairs + 1,
  );
}

/** A 200 answer that is not the Messages API's JSON. */
export function notAnAnswer(what: string): PlannerTransientError {
  return new PlannerTransientError(
    `Anthropic API: the answer was ${what}, not a message`,
    `The Anthropic API (or a proxy in front of it) answered with ${what} instead of a message. Gantry will try again later.`,
  );
}

function cutOff(maxTokens: number): Checked<never> {
  return {
    ok: false,
    problems: [
      `the answer was cut off at max_tokens (${maxTokens}) before the JSON ended: give a shorter answer (fewer or shorter tasks)`,
    ],
  };
}

function parseAndCheck<T>(text: string, check: (data: unknown) => Checked<T>): Checked<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [`the answer is not valid JSON: ${(e as Error).message}`] };
  }
  return check(data);
}
