import type { Access } from './app-permissions.js';
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

/** What a GraphQL answer may need of its caller. */
export interface GraphqlCaller {
  /** A query GitHub would refuse, or one the stand-in cannot answer: a scenario wants none. */
  problem(why: string): void;
  /** Whether the token may read or write this permission (installation tokens are checked). */
  may(permission: string, access: Access): boolean;
  /** A mutation creates content: the secondary rate limits' refusal, if it is over them. */
  creates(): Answer | undefined;
}
