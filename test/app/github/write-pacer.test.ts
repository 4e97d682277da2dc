import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pacedWrites } from '../../../src/app/github/gantry-octokit.js';
import { GitHubRateLimited } from '../../../src/app/github/github-error.js';
import { pacedAsContent, WritePacer } from '../../../src/app/github/write-pacer.js';
import { SecondaryLimits } from '../../../src/standin/secondary-limits.js';

/** A fake clock: sleeping moves time, so an hour of pacing takes no time. */
function fakeClock() {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: (ms: number) => {
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

describe('the write pacer', () => {
  it('lets 1,200 content-creating requests out within 80 a minute and 500 an hour, as the stand-in judges', async () => {
    const clock = fakeClock();
    const pacer = new WritePacer(undefined, clock, Infinity);
    const judge = new SecondaryLimits(clock.now);
    const refused: string[] = [];
    // Two bursts of a whole goal's writes, asked all at once: every one waits its turn.
    await Promise.all(
      Array.from({ length: 1200 }, async (_, k) => {
        await pacer.take('installation 1');
        const over = judge.take('installation 1');
        if (over) refused.push(`request ${k}: over ${over.limit}`);
      }),
    );
    expect(refused).toEqual([]);
    expect(judge.peakPerMinute).toBe(80);
    // 1,200 requests at 500 an hour: the last goes out in the third hour, not before.
    expect(clock.t).toBeGreaterThan(2 * 3_600_000);
    expect(clock.t).toBeLessThan(3 * 3_600_000);
  });

  it('fails a request as a rate limit rather than wait past the hour, and places the next ones', async () => {
    const clock = fakeClock();
    const pacer = new WritePacer(undefined, clock);
    // 500 in the first 7 minutes: the hour is full, the 501st would wait about 53 minutes.
    for (let k = 0; k < 500; k++) await pacer.take('installation 1');
    const t = clock.t;
    const late = pacer.take('installation 1');
    const after = pacer.take('installation 1');
    await expect(late).rejects.toBeInstanceOf(GitHubRateLimited);
    await expect(after).rejects.toThrow(/secondary limits .*fits in \d+ s/);
    expect(clock.t).toBe(t); // nobody slept through the hour
    // Once the hour has room again, requests go out.
    clock.t += 3_600_000;
    await pacer.take('installation 1');
  });

  it('goes out at once while there is room, and keeps installations apart', async () => {
    const clock = fakeClock();
    const pacer = new WritePacer(undefined, clock);
    for (let k = 0; k < 80; k++) await pacer.take('installation 1');
    for (let k = 0; k < 80; k++) await pacer.take('installation 2');
    expect(clock.t).toBe(0);
    await pacer.take('installation 1');
    expect(clock.t).toBe(60_001);
  });

  it('counts what creates or changes content, not reads, queries or tokens', () => {
    const base = 'https://api.github.com';
    expect(pacedAsContent('POST', `${base}/repos/o/r/issues/1/comments`)).toBe(true);
    expect(pacedAsContent('PATCH', `${base}/repos/o/r/issues/comments/9`)).toBe(true);
    expect(pacedAsContent('PUT', `${base}/repos/o/r/pulls/1/merge`)).toBe(true);
    expect(pacedAsContent('GET', `${base}/repos/o/r/issues/1`)).toBe(false);
    expect(pacedAsContent('DELETE', `${base}/repos/o/r/issues/1/labels/x`)).toBe(false);
    expect(pacedAsContent('POST', `${base}/app/installations/1/access_tokens`)).toBe(false);
    expect(pacedAsContent('POST', 'http://h/api/v3/graphql', '{ viewer { login } }')).toBe(false);
    expect(pacedAsContent('POST', 'http://h/api/v3/graphql', 'mutation($id: ID!) { x }')).toBe(
      true,
    );
  });
});

describe("an installation's client", () => {
  const API = 'https://api.github.com';
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('waits for the pacer before a comment, not before a read', async () => {
    const clock = fakeClock();
    const pacer = new WritePacer([{ windowMs: 60_000, max: 2 }], clock);
    const octokit = new ProbotOctokit({
      auth: 'test-token',
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    pacedWrites(octokit, 7, pacer);
    nock(API).post('/repos/o/r/issues/1/comments').times(3).reply(201, { id: 1 });
    nock(API).get('/repos/o/r/issues/1').times(3).reply(200, { number: 1 });
    for (let k = 0; k < 3; k++)
      await octokit.rest.issues.get({ owner: 'o', repo: 'r', issue_number: 1 });
    expect(clock.t).toBe(0);
    for (let k = 0; k < 3; k++)
      await octokit.rest.issues.createComment({
        owner: 'o',
        repo: 'r',
        issue_number: 1,
        body: 'x',
      });
    // The third comment waited for the first to leave the minute.
    expect(clock.t).toBe(60_001);
    expect(nock.isDone()).toBe(true);
  });
});
