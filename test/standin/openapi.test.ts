import { beforeAll, describe, expect, it } from 'vitest';
import { OpenApi } from '../../src/standin/openapi.js';
import { examplePayload } from '../support/probot.js';

let api: OpenApi;
beforeAll(() => {
  api = OpenApi.load();
});

const check = (method: string, path: string, body?: unknown) =>
  api.checkRequest(method, new URL(`https://api.github.com${path}`), body);

describe("GitHub's OpenAPI description", () => {
  it('finds the operation of a request, with its path parameters decoded', () => {
    expect(
      check('POST', '/repos/o/r/merges', { base: 'gantry/1-x', head: 'gantry/1/T1/1' }),
    ).toMatchObject({
      ok: true,
      operationId: 'repos/merge',
      params: { owner: 'o', repo: 'r' },
    });
    // Git refs come with their slashes, encoded or not.
    expect(check('GET', '/repos/o/r/git/ref/heads/gantry/1/T1/1')).toMatchObject({
      ok: true,
      operationId: 'git/get-ref',
      params: { ref: 'heads/gantry/1/T1/1' },
    });
    expect(
      check('PATCH', '/repos/o/r/git/refs/heads%2Fgantry%2F1-x', {
        sha: 'a'.repeat(40),
        force: true,
      }),
    ).toMatchObject({
      ok: true,
      operationId: 'git/update-ref',
      params: { ref: 'heads/gantry/1-x' },
    });
    expect(
      check('POST', '/repos/o/r/actions/workflows/gantry-task.yml/dispatches', {
        ref: 'main',
        inputs: { goal: '1' },
        return_run_details: true,
      }),
    ).toMatchObject({ ok: true, operationId: 'actions/create-workflow-dispatch' });
    expect(check('GET', '/repos/o/r/issues?state=open&labels=gantry&per_page=100')).toMatchObject({
      ok: true,
      operationId: 'issues/list-for-repo',
    });
  });

  it('answers an unknown endpoint 404 and an invalid request 422, naming what is wrong', () => {
    expect(check('POST', '/repos/o/r/merge-please', {})).toEqual({
      ok: false,
      status: 404,
      problems: ['no GitHub endpoint POST /repos/o/r/merge-please'],
    });
    expect(check('POST', '/repos/o/r/merges', { base: 'main' })).toMatchObject({
      ok: false,
      status: 422,
      problems: ["body must have required property 'head'"],
    });
    expect(check('GET', '/repos/o/r/issues/abc')).toMatchObject({
      status: 422,
      problems: ['path parameter `issue_number`: `abc` is not an integer'],
    });
    expect(check('GET', '/repos/o/r/issues?state=shut&per_page=many')).toMatchObject({
      status: 422,
      problems: [
        'query parameter `state`: `shut` is not one of `open`, `closed`, `all`',
        'query parameter `per_page`: `many` is not an integer',
      ],
    });
    expect(check('POST', '/repos/o/r/issues/1/comments', { body: 5 })).toMatchObject({
      status: 422,
      problems: ['body.body must be string'],
    });
  });

  it('checks webhook payloads against the schema of their event and action', () => {
    const suite = examplePayload('check_suite', 'completed');
    expect(api.checkWebhook('check_suite', suite)).toEqual([]);
    const broken = { ...suite, check_suite: { id: 'not a number' } };
    expect(api.checkWebhook('check_suite', broken)!.length).toBeGreaterThan(0);
    expect(api.checkWebhook('issue_comment', examplePayload('issue_comment', 'edited'))).toEqual(
      [],
    );
    expect(api.checkWebhook('no_such_event', { action: 'x' })).toBeUndefined();
    // Every event the App handles has a schema, so none goes unchecked.
    const handled = [
      ['issues', 'labeled'],
      ['issues', 'unlabeled'],
      ['issues', 'closed'],
      ['issues', 'edited'],
      ['issue_comment', 'created'],
      ['issue_comment', 'edited'],
      ['workflow_run', 'requested'],
      ['workflow_run', 'completed'],
      ['check_suite', 'completed'],
      ['check_run', 'completed'],
      ['status', undefined],
      ['pull_request', 'opened'],
    ] as const;
    for (const [event, action] of handled)
      expect(api.checkWebhook(event, action ? { action } : {}), `${event}.${action}`).toBeDefined();
  });

  it('makes answers whole from GitHub’s examples (required fields only) and names what is still wrong', () => {
    const ours = [{ id: 7, number: 3, title: 'Ours', state: 'open', labels: [] }];
    const made = api.completeAnswer('GET', '/repos/{owner}/{repo}/issues', 200, ours);
    expect(made.problems).toEqual([]);
    const issue = (made.body as Record<string, unknown>[])[0]!;
    // Ours kept; required fields filled from the example; optional ones with a meaning not.
    expect(issue).toMatchObject({ id: 7, number: 3, title: 'Ours', state: 'open' });
    expect(issue).toHaveProperty('user.login');
    expect(issue).toHaveProperty('comments_url');
    expect(issue).not.toHaveProperty('pull_request');
    // A field of the wrong type is not papered over.
    const wrong = api.completeAnswer('GET', '/repos/{owner}/{repo}/issues', 200, [
      { ...ours[0], number: '3' },
    ]);
    expect(wrong.problems).toEqual(['200 answer.0.number must be integer']);
    // Raw text and undocumented statuses pass as they are.
    expect(api.completeAnswer('GET', '/repos/{owner}/{repo}/issues', 299, { a: 1 })).toEqual({
      body: { a: 1 },
      problems: [],
    });
  });
});
