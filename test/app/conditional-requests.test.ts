import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conditionalRequests, ResponseCache } from '../../src/app/github/gantry-octokit.js';

const API = 'https://api.github.com';

function client() {
  const octokit = new ProbotOctokit({
    auth: 'test-token',
    retry: { enabled: false },
    throttle: { enabled: false },
  });
  conditionalRequests(octokit, new ResponseCache());
  return octokit;
}

describe('conditional requests', () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('revalidates a GET with its ETag and answers a 304 with the kept response', async () => {
    const octokit = client();
    const sent: (string | null)[] = [];
    // The server: v1 twice (304 the second time, as it was asked with v1's tag), then v2.
    const answers: [number, unknown, Record<string, string>][] = [
      [200, { title: 'first' }, { etag: '"v1"' }],
      [304, '', { etag: '"v1"' }],
      [200, { title: 'second' }, { etag: '"v2"' }],
      [304, '', { etag: '"v2"' }],
    ];
    nock(API)
      .get('/repos/o/r/issues/1')
      .times(answers.length)
      .reply((req: unknown) => {
        sent.push((req as Request).headers.get('if-none-match'));
        return answers.shift()!;
      });
    const get = async (): Promise<unknown> =>
      (await octokit.request('GET /repos/{owner}/{repo}/issues/1', { owner: 'o', repo: 'r' }))
        .data as unknown;
    expect(await get()).toEqual({ title: 'first' });
    expect(await get()).toEqual({ title: 'first' }); // 304: nothing changed
    expect(await get()).toEqual({ title: 'second' }); // changed: the new one is kept
    expect(await get()).toEqual({ title: 'second' });
    expect(sent).toEqual([null, '"v1"', '"v1"', '"v2"']);
  });

  it('sends no If-None-Match on writes or on a first read', async () => {
    const octokit = client();
    nock(API, { badheaders: ['if-none-match'] })
      .get('/repos/o/r/issues/2')
      .reply(200, { title: 'x' }, { etag: '"e"' });
    nock(API, { badheaders: ['if-none-match'] })
      .patch('/repos/o/r/issues/2')
      .reply(200, { title: 'y' }, { etag: '"f"' });
    await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
      owner: 'o',
      repo: 'r',
      issue_number: 2,
    });
    await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
      owner: 'o',
      repo: 'r',
      issue_number: 2,
      title: 'y',
    });
    expect(nock.isDone()).toBe(true);
  });
});

describe('the response cache', () => {
  const entry = (size: number) => ({ etag: '"e"', response: {} as never, size });

  it('keeps the newest entries within its bound and refuses an entry bigger than 256 KB', () => {
    const cache = new ResponseCache(100);
    cache.put('a', entry(40));
    cache.put('b', entry(40));
    cache.put('a', entry(40)); // refreshed: now the newest
    cache.put('c', entry(40)); // over 100: the oldest (b) goes
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map(Boolean)).toEqual([
      true,
      false,
      true,
    ]);
    expect(cache.chars).toBe(80);
    const big = new ResponseCache();
    big.put('x', entry(300 * 1024));
    expect(big.get('x')).toBeUndefined();
    expect(big.chars).toBe(0);
  });
});
