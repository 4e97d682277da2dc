import { describe, expect, it } from 'vitest';
import { asGitHubError } from '../../src/app/github/github-error.js';
import { transient } from '../../src/app/goal-workers.js';

/** An Octokit RequestError as it reaches the App: status, message and the answer's headers. */
const refused = (status: number, message: string, headers: Record<string, string> = {}) =>
  asGitHubError(Object.assign(new Error(message), { status, response: { headers } }));

describe('which GitHub failures a goal job tries again', () => {
  it("retries GitHub's limits, its 5xx and no answer; not a refusal the App cannot outwait", () => {
    // A secondary rate limit: 403 with retry-after (GitHub's documented answer).
    expect(
      transient(refused(403, 'You have exceeded a secondary rate limit', { 'retry-after': '60' })),
    ).toBe(true);
    // The primary limit spent: 403 with x-ratelimit-remaining 0; or 429.
    expect(
      transient(refused(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0' })),
    ).toBe(true);
    expect(transient(refused(429, 'Too Many Requests'))).toBe(true);
    expect(transient(refused(502, 'Bad Gateway'))).toBe(true);
    expect(transient(new TypeError('fetch failed'))).toBe(true);
    // Permissions or a ruleset: waiting changes nothing.
    expect(transient(refused(403, 'Resource not accessible by integration'))).toBe(false);
    expect(transient(refused(422, 'Validation Failed'))).toBe(false);
  });
});
