/**
 * GitHub's refusals in Gantry's terms. Every error of an Octokit call is turned into one of these
 * in one place (`asGitHubError`), so the rest of the App asks what happened, not which status
 * code it was. `status` stays on them: retries of transient failures (5xx, 429) read it.
 */
export class GitHubError extends Error {
  override name = 'GitHubError';
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 409: a merge conflict, a run already over. An answer, not a failure to retry. */
export class GitHubConflict extends GitHubError {
  override name = 'GitHubConflict';
}

/** 404 or 410: it does not exist (or no longer does, or the App cannot see it). */
export class GitHubGone extends GitHubError {
  override name = 'GitHubGone';
}

/** 403 without a rate limit: the App may not do this (permissions, a ruleset). */
export class GitHubForbidden extends GitHubError {
  override name = 'GitHubForbidden';
}

/** 429, or 403 with GitHub's rate-limit headers: wait and try again. */
export class GitHubRateLimited extends GitHubError {
  override name = 'GitHubRateLimited';
}

interface HttpFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

const isHttpFailure = (e: unknown): e is HttpFailure =>
  e instanceof Error && typeof (e as { status?: unknown }).status === 'number';

/**
 * The typed error for an Octokit failure (its RequestError carries `status` and the response's
 * headers). Anything without a status (no answer at all, a GraphQL error) is returned as it is.
 */
export function asGitHubError(e: unknown): unknown {
  if (e instanceof GitHubError || !isHttpFailure(e)) return e;
  const { status, message } = e;
  const headers = e.response?.headers ?? {};
  const options = { cause: e };
  if (status === 409) return new GitHubConflict(message, status, options);
  if (status === 404 || status === 410) return new GitHubGone(message, status, options);
  if (status === 429) return new GitHubRateLimited(message, status, options);
  if (status === 403) {
    const limited =
      String(headers['x-ratelimit-remaining']) === '0' || headers['retry-after'] !== undefined;
    return limited
      ? new GitHubRateLimited(message, status, options)
      : new GitHubForbidden(message, status, options);
  }
  return new GitHubError(message, status, options);
}

/** Await an Octokit call, its failure typed. */
export async function call<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (e) {
    throw asGitHubError(e);
  }
}

/** The status GitHub answered a failed call with; undefined for any other failure. */
export const gitHubStatus = (e: unknown): number | undefined =>
  e instanceof GitHubError ? e.status : undefined;
