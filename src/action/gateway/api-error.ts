import type { ServerResponse } from 'node:http';

/** The error types of the Anthropic API, by the status it answers them with. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'api_error';

/**
 * Answer with an error in the Anthropic API's own shape, so the SDK and Claude Code show its
 * message. `x-should-retry: false` keeps the SDK from retrying what will be refused again.
 */
export function sendApiError(
  res: ServerResponse,
  status: number,
  type: ApiErrorType,
  message: string,
): void {
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-should-retry': 'false',
  });
  res.end(body);
}
