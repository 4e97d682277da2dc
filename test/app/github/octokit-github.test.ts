import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GitHubConflict,
  GitHubError,
  GitHubForbidden,
  GitHubGone,
  GitHubRateLimited,
} from '../../../src/app/github/github-error.js';
import { GantryOctokit } from '../../../src/app/github/gantry-octokit.js';
import { octokitGitHub } from '../../../src/app/github/octokit-github.js';

const API = 'https://api.github.com';
const REPO = '/repos/o/r';

/** The port over the App's own client, retries and throttling off, against nock. */
function port() {
  const octokit = new GantryOctokit({
    auth: 'test-token',
    retry: { enabled: false },
    throttle: { enabled: false },
  });
  return octokitGitHub(octokit, { owner: 'o', repo: 'r' });
}

describe('the Octokit port', () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending).toEqual([]);
  });

  describe('maps GitHub refusals to typed errors', () => {
    it('409 is a conflict', async () => {
      nock(API).post(`${REPO}/merges`).reply(409, { message: 'Merge conflict' });
      const e = await port()
        .merge({ base: 'goal', head: 'task', message: 'm' })
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(GitHubConflict);
      expect(e).toMatchObject({ status: 409, message: expect.stringContaining('Merge conflict') });
    });

    it('404 and 410 are gone', async () => {
      nock(API).get(`${REPO}/git/ref/heads%2Fnope`).reply(404, { message: 'Not Found' });
      nock(API).get(`${REPO}/actions/jobs/7/logs`).reply(410, { message: 'Gone' });
      const github = port();
      await expect(github.branchSha('nope')).rejects.toBeInstanceOf(GitHubGone);
      await expect(github.jobLog(7)).rejects.toMatchObject({ name: 'GitHubGone', status: 410 });
    });

    it('403 with the rate-limit headers is rate limited', async () => {
      nock(API)
        .get(`${REPO}/issues/1`)
        .reply(403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0' });
      nock(API)
        .get(`${REPO}/issues/2`)
        .reply(403, { message: 'secondary rate limit' }, { 'retry-after': '60' });
      const github = port();
      await expect(github.getIssue(1)).rejects.toBeInstanceOf(GitHubRateLimited);
      await expect(github.getIssue(2)).rejects.toBeInstanceOf(GitHubRateLimited);
    });

    it('403 otherwise is forbidden', async () => {
      nock(API)
        .patch(`${REPO}/git/refs/heads%2Fgoal`)
        .reply(403, { message: 'Resource not accessible by integration' });
      const e = await port()
        .updateBranch('goal', 'a'.repeat(40), { force: true })
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(GitHubForbidden);
      expect(e).not.toBeInstanceOf(GitHubRateLimited);
    });

    it('any other status is a GitHubError with that status; no answer at all is a 500', async () => {
      nock(API).post(`${REPO}/git/refs`).reply(422, { message: 'Reference already exists' });
      const e = await port()
        .createBranch('goal', 'a'.repeat(40))
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(GitHubError);
      expect(e).toMatchObject({ name: 'GitHubError', status: 422 });
      nock(API).get(`${REPO}/issues/3`).replyWithError('socket hang up');
      const dropped = await port()
        .getIssue(3)
        .catch((x: unknown) => x);
      // Octokit reports it as a 500, which a goal job retries like GitHub's own 5xx.
      expect(dropped).toMatchObject({ name: 'GitHubError', status: 500 });
    });
  });

  describe("speaks Gantry's terms", () => {
    it('a merge is a sha (201) or nothing to merge (204)', async () => {
      nock(API)
        .post(`${REPO}/merges`)
        .reply(201, { sha: 'b'.repeat(40) });
      nock(API).post(`${REPO}/merges`).reply(204);
      const github = port();
      expect(await github.merge({ base: 'g', head: 't', message: 'm' })).toBe('b'.repeat(40));
      expect(await github.merge({ base: 'g', head: 't', message: 'm' })).toBeUndefined();
    });

    it('a compare says how far head is ahead of and behind base, and the paths it changes', async () => {
      const [base, head] = ['a'.repeat(40), 'c'.repeat(40)];
      nock(API)
        .get(`${REPO}/compare/${base}...${head}`)
        .query({ per_page: '300' })
        .reply(200, { ahead_by: 1, behind_by: 0, files: [{ filename: 'src/a.ts' }] });
      expect(await port().compare(base, head, 300)).toEqual({
        aheadBy: 1,
        behindBy: 0,
        files: ['src/a.ts'],
      });
    });

    it('a rename counts both of its paths, so a move out of a blocked folder is judged too', async () => {
      const [base, head] = ['a'.repeat(40), 'c'.repeat(40)];
      nock(API)
        .get(`${REPO}/compare/${base}...${head}`)
        .query({ per_page: '300' })
        .reply(200, {
          ahead_by: 1,
          behind_by: 0,
          files: [
            {
              filename: 'ci.yml',
              previous_filename: '.github/workflows/ci.yml',
              status: 'renamed',
            },
          ],
        });
      expect((await port().compare(base, head, 300)).files).toEqual([
        '.github/workflows/ci.yml',
        'ci.yml',
      ]);
    });

    it("lists a run's jobs, to read the failed one's log", async () => {
      nock(API)
        .get(`${REPO}/actions/runs/9/jobs`)
        .query({ per_page: '100' })
        .reply(200, {
          total_count: 2,
          jobs: [
            { id: 1, name: 'agent', conclusion: 'success' },
            { id: 2, name: 'publish', conclusion: null },
          ],
        });
      expect(await port().listRunJobs(9)).toEqual([
        { id: 1, name: 'agent', conclusion: 'success' },
        { id: 2, name: 'publish', conclusion: null },
      ]);
    });

    it("a dispatch gives the run's id when GitHub says it, and undefined on an older 204", async () => {
      const path = `${REPO}/actions/workflows/gantry-task.yml/dispatches`;
      nock(API)
        .post(path, (b: { return_run_details?: boolean }) => b.return_run_details === true)
        .reply(200, { workflow_run_id: 42, run_url: 'u', html_url: 'h' });
      nock(API).post(path).reply(204);
      const github = port();
      expect(await github.dispatchWorkflow('gantry-task.yml', 'main', { goal: '1' })).toBe(42);
      expect(await github.dispatchWorkflow('gantry-task.yml', 'main', {})).toBeUndefined();
    });

    it('reads every page of comments, as camelCase value objects', async () => {
      const comment = (id: number) => ({
        id,
        node_id: `IC_${id}`,
        body: `c${id}`,
        html_url: `https://github.com/o/r/issues/1#issuecomment-${id}`,
        user: { login: 'gantry[bot]', type: 'Bot' },
        performed_via_github_app: { id: 9 },
      });
      nock(API)
        .get(`${REPO}/issues/1/comments`)
        .query({ per_page: 100 })
        .reply(200, [comment(1)], {
          link: `<${API}${REPO}/issues/1/comments?per_page=100&page=2>; rel="next"`,
        });
      nock(API)
        .get(`${REPO}/issues/1/comments`)
        .query({ per_page: 100, page: 2 })
        .reply(200, [comment(2)]);
      const comments = await port().listComments(1);
      expect(comments).toEqual([
        {
          id: 1,
          nodeId: 'IC_1',
          body: 'c1',
          htmlUrl: 'https://github.com/o/r/issues/1#issuecomment-1',
          author: { login: 'gantry[bot]', bot: true },
          appId: 9,
        },
        expect.objectContaining({ id: 2, body: 'c2' }),
      ]);
    });

    it('reads issue events with their times, and when the body was last edited (GraphQL)', async () => {
      nock(API)
        .get(`${REPO}/issues/1/events`)
        .query({ per_page: 100 })
        .reply(200, [
          {
            event: 'labeled',
            label: { name: 'gantry:auto' },
            actor: { login: 'maint', type: 'User' },
            created_at: '2026-01-01T00:00:01Z',
          },
          {
            event: 'renamed',
            rename: { from: 'a', to: 'b' },
            actor: { login: 'author', type: 'User' },
            created_at: '2026-01-01T00:00:02Z',
          },
        ]);
      let asked: unknown;
      nock(API)
        .post('/graphql', (body: { variables: unknown }) => ((asked = body.variables), true))
        .reply(200, { data: { repository: { issue: { lastEditedAt: '2026-01-01T00:00:03Z' } } } });
      nock(API)
        .post('/graphql')
        .reply(200, { data: { repository: { issue: { lastEditedAt: null } } } });
      const github = port();
      expect(await github.listIssueEvents(1)).toEqual([
        {
          event: 'labeled',
          label: 'gantry:auto',
          actor: { login: 'maint', bot: false },
          at: '2026-01-01T00:00:01Z',
        },
        {
          event: 'renamed',
          label: undefined,
          actor: { login: 'author', bot: false },
          at: '2026-01-01T00:00:02Z',
        },
      ]);
      expect(await github.issueEditedAt(1)).toBe('2026-01-01T00:00:03Z');
      expect(asked).toEqual({ owner: 'o', name: 'r', number: 1 });
      expect(await github.issueEditedAt(1)).toBeUndefined();
    });

    it('deletes branches in one updateRefs mutation, naming the repository by the id a CI read gave, else by one query', async () => {
      const sent: { query: string; variables: Record<string, unknown> }[] = [];
      const graphql = (answer: object) =>
        nock(API)
          .post('/graphql', (body: (typeof sent)[number]) => (sent.push(body), true))
          .reply(200, { data: answer });
      const zero = '0'.repeat(40);
      const refUpdates = [
        { name: 'refs/heads/gantry/1/queue/1', afterOid: zero },
        { name: 'refs/heads/gantry/1/queue/2', afterOid: zero },
      ];
      // A port that read a CI verdict knows the id: one request.
      graphql({ repository: { id: 'R_ci', object: { checkSuites: { pageInfo: {}, nodes: [] } } } });
      graphql({ updateRefs: { clientMutationId: null } });
      let github = port();
      await github.ciReport('a'.repeat(40));
      await github.deleteBranches(['gantry/1/queue/1', 'gantry/1/queue/2']);
      expect(sent.at(-1)?.query).toMatch(/updateRefs\(input: \$input\)/);
      expect(sent.at(-1)?.variables).toEqual({ input: { repositoryId: 'R_ci', refUpdates } });
      // A new port (another delivery) asks again: the id is never kept by name.
      sent.length = 0;
      graphql({ repository: { id: 'R_asked' } });
      graphql({ updateRefs: { clientMutationId: null } });
      graphql({ updateRefs: { clientMutationId: null } });
      github = port();
      await github.deleteBranches(['gantry/1/queue/1', 'gantry/1/queue/2']);
      await github.deleteBranches(['gantry/1/queue/1', 'gantry/1/queue/2']);
      expect(sent.map((b) => b.variables)).toEqual([
        { owner: 'o', name: 'r' },
        { input: { repositoryId: 'R_asked', refUpdates } },
        { input: { repositoryId: 'R_asked', refUpdates } },
      ]);
    });

    it('moves a branch (from a given sha, not forced) and deletes others in one updateRefs mutation', async () => {
      const sent: { variables: Record<string, unknown> }[] = [];
      nock(API)
        .post('/graphql')
        .reply(200, { data: { repository: { id: 'R_1' } } });
      nock(API)
        .post('/graphql', (body: (typeof sent)[number]) => (sent.push(body), true))
        .reply(200, { data: { updateRefs: { clientMutationId: null } } });
      const [from, to] = ['a'.repeat(40), 'b'.repeat(40)];
      await port().updateBranches([
        { branch: 'gantry/1-goal', sha: to, from },
        { branch: 'gantry/1/queue/1', sha: null },
      ]);
      // No `force`: GraphQL's RefUpdate defaults it to false, so only a fast-forward is taken.
      expect(sent).toEqual([
        {
          query: expect.stringMatching(/updateRefs\(input: \$input\)/),
          variables: {
            input: {
              repositoryId: 'R_1',
              refUpdates: [
                { name: 'refs/heads/gantry/1-goal', afterOid: to, beforeOid: from },
                { name: 'refs/heads/gantry/1/queue/1', afterOid: '0'.repeat(40) },
              ],
            },
          },
        },
      ]);
    });

    it('a refused updateRefs is a failure (GitHub answers 200 with errors)', async () => {
      nock(API)
        .post('/graphql')
        .reply(200, { data: { repository: { id: 'R_1' } } });
      nock(API)
        .post('/graphql')
        .reply(200, {
          data: { updateRefs: null },
          errors: [{ type: 'UNPROCESSABLE', message: 'Reference does not exist' }],
        });
      await expect(port().deleteBranches(['a', 'b'])).rejects.toThrow(/Reference does not exist/);
    });
  });
});
