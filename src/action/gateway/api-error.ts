import type { ServerResponse } from 'node:http';

/** The error types of the Anthropic API, by the status it answers them with. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error';

/**
 * Answer with an error in the Anthropic API's own shape, so the SDK and Claude Code show its
 * message. `x-should-retry: false` keeps the SDK from retrying what will be refused again;
 * with `retryAfterSeconds` the SDK is told to retry after that long instead (the refusal is
 * momentary).
 */
export function sendApiError(
  res: ServerResponse,
  status: number,
  type: ApiErrorType,
  message: string,
  retryAfterSeconds?: number,
): void {
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(retryAfterSeconds === undefined
      ? { 'x-should-retry': 'false' }
      : { 'x-should-retry': 'true', 'retry-after': String(retryAfterSeconds) }),
  });
  res.end(body);
}
