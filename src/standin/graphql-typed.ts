import type { Answer } from './answer.js';

/** An error GitHub answers with a `type` (NOT_FOUND, FORBIDDEN): an answer, not a stand-in gap. */
export class Typed extends Error {
  constructor(
    readonly type: 'NOT_FOUND' | 'FORBIDDEN' | 'MISSING_PAGINATION_BOUNDARIES' | 'UNPROCESSABLE',
    message: string,
  ) {
    super(message);
  }
}

/** A mutation over the secondary rate limits: answered as the limit's HTTP refusal, not in `errors`. */
export class OverLimit extends Error {
  constructor(readonly answer: Answer) {
    super('Over a secondary rate limit');
  }
}
