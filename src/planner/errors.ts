import type { CallReport } from './call-report.js';

/**
 * Typed planner failures. Each has a `userMessage` the App can post on the issue as it is: what
 * went wrong and what to do about it.
 */
export abstract class PlannerError extends Error {
  abstract readonly kind: 'config' | 'transient' | 'output' | 'request';
  /** Model calls made (and billed) before the failure. */
  calls: readonly CallReport[] = [];
  constructor(
    message: string,
    readonly userMessage: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The key or model is wrong: retrying will not help until someone changes the setup. */
export class PlannerConfigError extends PlannerError {
  readonly kind = 'config';
}

/** Rate limits, overload, 5xx, timeouts: the SDK already retried; the App may try again later. */
export class PlannerTransientError extends PlannerError {
  readonly kind = 'transient';
  constructor(
    message: string,
    userMessage: string,
    readonly status?: number,
  ) {
    super(message, userMessage);
  }
}

/** The request itself was refused (400): a bug or an input too large for the model. */
export class PlannerRequestError extends PlannerError {
  readonly kind = 'request';
}

/** The model's answers stayed invalid after the repairs, or it refused. */
export class PlannerOutputError extends PlannerError {
  readonly kind = 'output';
  constructor(
    message: string,
    userMessage: string,
    readonly problems: readonly string[],
    readonly attempts: number,
  ) {
    super(message, userMessage);
  }
}
