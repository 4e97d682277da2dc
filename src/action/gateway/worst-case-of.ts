import type { ModelPrice } from '../../llm/model-price.js';
import { priceOfModel } from './price-of-model.js';

/** What a model call could cost at most, as the gateway holds it against the reservation. */
export interface WorstCase {
  /** The model the request asks for (`unknown` when it names none). */
  model: string;
  /** Output tokens the call may produce: its `max_tokens`, thinking included. */
  maxTokens: number;
  /** The input estimate, in tokens. */
  inputTokens: number;
  /** The hold in micro-dollars. */
  micros: number;
}

/** Held for a request without a usable `max_tokens` (the API refuses it, unless it reads it otherwise): the largest output a model offers. */
const FALLBACK_MAX_TOKENS = 128_000;

/**
 * A request's worst case, from the request alone, before it is sent:
 *
 * - output: `max_tokens` at the model's output price. The API never bills more output than that
 *   (thinking counts within it).
 * - input: the body's size in bytes divided by 3, as tokens at the model's input price. The API
 *   does not say a request's token count before answering it, and counting it would cost a
 *   call; the size is known. Text in the API's JSON runs about 4 bytes a token (escapes and the
 *   JSON around it add bytes, not tokens), images and documents in base64 far more, so a third
 *   is above the real count for nearly every request, with a margin that also covers the 1.25x
 *   of a 5-minute cache write. It is an estimate, not a bound: a call whose real usage exceeds
 *   it is charged its real usage all the same.
 *
 * Not included: the web searches a request's tools may run, and the tokens their results add.
 * An unknown model is priced at the table's highest prices, as the meter prices it.
 */
export function worstCaseOf(
  body: Buffer,
  pricing: Readonly<Record<string, ModelPrice>>,
): WorstCase {
  const request = parse(body);
  const model = typeof request.model === 'string' ? request.model : 'unknown';
  const asked = request.max_tokens;
  const maxTokens =
    typeof asked === 'number' && Number.isFinite(asked) && asked >= 0
      ? Math.ceil(asked)
      : FALLBACK_MAX_TOKENS;
  const inputTokens = Math.ceil(body.length / 3);
  const { price } = priceOfModel(model, pricing);
  return {
    model,
    maxTokens,
    inputTokens,
    micros: Math.round(inputTokens * price.input + maxTokens * price.output),
  };
}

function parse(body: Buffer): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
