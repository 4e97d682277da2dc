import Anthropic from '@anthropic-ai/sdk';
import {
  PlannerConfigError,
  PlannerError,
  PlannerRequestError,
  PlannerTransientError,
} from './errors.js';

/** The API's own message (`{"error": {"message": ...}}`), not the whole body with ids. */
function apiMessage(e: { error?: unknown; message: string }): string {
  const body = e.error as { error?: { message?: unknown } } | undefined;
  return typeof body?.error?.message === 'string' ? body.error.message : e.message;
}

/** The SDK's errors (after its own retries) as planner errors a maintainer can act on. */
export function toPlannerError(e: unknown, model: string): unknown {
  // The SDK parses a JSON content type itself: a body that is not JSON after all throws this.
  if (e instanceof SyntaxError)
    return new PlannerTransientError(
      `Anthropic API: the answer is not JSON: ${e.message}`,
      'The Anthropic API (or a proxy in front of it) answered with a body that is not JSON. Gantry will try again later.',
    );
  if (e instanceof PlannerError || !(e instanceof Anthropic.AnthropicError)) return e;
  if (e instanceof Anthropic.AuthenticationError)
    return new PlannerConfigError(
      `Anthropic API 401: ${e.message}`,
      'The Anthropic API refused the API key (401). Set `ANTHROPIC_API_KEY` in the Gantry app environment to a valid key.',
    );
  if (e instanceof Anthropic.PermissionDeniedError)
    return new PlannerConfigError(
      `Anthropic API 403: ${e.message}`,
      `The Anthropic API key may not use the model \`${model}\` (403). Use a key with access to it, or choose another model under \`llm.models\` in .github/gantry.yml.`,
    );
  if (e instanceof Anthropic.NotFoundError)
    return new PlannerConfigError(
      `Anthropic API 404: ${e.message}`,
      `The Anthropic API does not know the model \`${model}\` (404). Fix \`llm.models\` in .github/gantry.yml.`,
    );
  if (e instanceof Anthropic.APIConnectionTimeoutError)
    return new PlannerTransientError(
      `Anthropic API timeout: ${e.message}`,
      'The Anthropic API did not answer in time (`llm.timeoutMs`). Gantry will try again later.',
    );
  if (e instanceof Anthropic.APIUserAbortError)
    return new PlannerTransientError(
      `Anthropic API call aborted: ${e.message}`,
      'The model call was aborted. Gantry will try again later.',
    );
  if (e instanceof Anthropic.APIConnectionError)
    return new PlannerTransientError(
      `Anthropic API unreachable: ${e.message}`,
      'Gantry could not reach the Anthropic API. It will try again later.',
    );
  if (!(e instanceof Anthropic.APIError))
    return new PlannerRequestError(
      `Anthropic SDK: ${e.message}`,
      `The Anthropic SDK failed before sending the request: ${e.message}`,
    );
  const status = e.status as number | undefined;
  const message = apiMessage(e);
  if (status === 402)
    return new PlannerConfigError(
      `Anthropic API 402: ${message}`,
      `The Anthropic account cannot pay for this request (402): ${message}. Check the account's billing.`,
    );
  if (status !== undefined && (status === 429 || status === 408 || status === 409 || status >= 500))
    return new PlannerTransientError(
      `Anthropic API ${status}: ${message}`,
      status === 429
        ? 'The Anthropic API is rate-limiting this key (429), even after retries. Gantry will try again later.'
        : `The Anthropic API failed (${status}${status === 529 ? ', overloaded' : ''}), even after retries. Gantry will try again later.`,
      status,
    );
  return new PlannerRequestError(
    `Anthropic API ${status ?? ''}: ${message}`,
    `The Anthropic API refused the request (${status ?? 'error'}): ${message}`,
  );
}
