import { join } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { gantryApp } from '../../src/app/app.js';
import { parsePlanComment } from '../../src/core/checklist/parse.js';
import { PlannerConfigError } from '../../src/planner/errors.js';
import type { Planner } from '../../src/planner/planner.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { examplePayload, testProbot } from '../support/probot.js';
import { offlineHttp } from '../support/offline-http.js';

const KEY = 'state-key';
const fixture = join(import.meta.dirname, '../fixtures/planner/diamond.yml');
const API = 'https://api.github.com';
const REPO = '/repos/Codertocat/Hello-World';

type Labeled = {
  label: { name: string };
  issue: { number: number; title: string; body: string | null; labels: { name: string }[] };
  repository: { default_branch: string };
};

function labeled(name = 'gantry') {
  const payload = examplePayload<Labeled>('issues', 'labeled');
  payload.label.name = name;
  payload.issue.labels = [{ ...payload.issue.labels[0]!, name }];
  return payload;
}

function config(text: string | undefined) {
  const scope = nock(API).get(`${REPO}/contents/.github%2Fgantry.yml`);
  if (text === undefined) {
    scope.reply(404, { message: 'Not Found' });
    nock(API)
      .get('/repos/Codertocat/.github/contents/.github%2Fgantry.yml')
      .reply(404, { message: 'Not Found' });
    // The config plugin asks for the raw file (application/vnd.github.raw).
  } else scope.reply(200, text);
}

function repoContext() {
  nock(API)
    .get(`${REPO}/git/trees/master`)
    .query({ recursive: 'true' })
    .reply(200, {
      sha: 'abc',
      truncated: false,
      tree: [
        { path: 'README.md', type: 'blob' },
        { path: 'src', type: 'tree' },
        { path: 'src/index.js', type: 'blob' },
      ],
    })
    .get(`${REPO}/readme`)
    .reply(200, '# Hello World')
    .get(`${REPO}/languages`)
    .reply(200, { JavaScript: 1200 });
}

let posted: string[];
let edited: string[];
function comments({ edit = true } = {}) {
  posted = [];
  edited = [];
  nock(API)
    .post(
      `${REPO}/issues/1/comments`,
      (b: { body?: unknown } | null) => (typeof b?.body === 'string' && posted.push(b.body), true),
    )
    .reply(201, { id: 555, body: '' });
  if (edit)
    nock(API)
      .patch(
        `${REPO}/issues/comments/555`,
        (b: { body?: unknown } | null) => (
          typeof b?.body === 'string' && edited.push(b.body),
          true
        ),
      )
      .reply(200, { id: 555 });
}

async function receive(payload: object, planner: () => Planner) {
  const errors: unknown[] = [];
  const app = gantryApp({
    planner,
    stateKey: KEY,
    now: () => 1_700_000_000_000,
    onJobError: (_goal, e) => errors.push(e),
  });
  const probot = await testProbot(app);
  await probot.receive({ id: 'delivery-1', name: 'issues', payload } as never);
  await app.idle();
  expect(errors).toEqual([]);
}

offlineHttp();

describe('labeling an issue', () => {
  it('posts a planning comment, replaces it with the plan and sets the label', async () => {
    config('rigor: L1\n');
    comments();
    repoContext();
    let labels: unknown;
    nock(API)
      .post(`${REPO}/issues/1/labels`, (b: { labels: string[] }) => ((labels = b.labels), true))
      .reply(200, []);
    const planner = await ScriptedPlanner.fromFile(fixture);
    await receive(labeled(), () => planner);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain('Planning this issue with the scripted planner');
    await expect(edited[0]).toMatchFileSnapshot('__snapshots__/plan-comment.posted.md');
    const parsed = parsePlanComment(edited[0]!, KEY, { repo: 'Codertocat/Hello-World', issue: 1 });
    expect(parsed.state.ok && parsed.state.state.status).toBe('awaiting-approval');
    expect([...parsed.ticks.keys()]).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(labels).toEqual(['gantry:awaiting-approval']);
  });

  it('ignores another label without a single request beyond reading the config', async () => {
    config(undefined);
    await receive(labeled('bug'), () => {
      throw new Error('must not plan');
    });
  });

  it('answers an invalid config with one comment quoting the error and the allowed keys', async () => {
    config('label: gantry\nmaxParalel: 3\n');
    comments({ edit: false });
    await receive(labeled(), () => {
      throw new Error('must not plan');
    });
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain('`(file)`: Unrecognized key: "maxParalel"');
    expect(posted[0]).toContain('Allowed top-level keys:');
  });

  it('shows a planner failure in the comment, with what to do', async () => {
    config(undefined);
    comments();
    repoContext();
    const failing: Planner = {
      label: 'Anthropic claude-opus-5-5',
      plan: () =>
        Promise.reject(
          new PlannerConfigError(
            '401',
            'The Anthropic API refused the API key (401). Set `ANTHROPIC_API_KEY` in the Gantry app environment to a valid key.',
          ),
        ),
      recover: () => Promise.reject(new Error('unused')),
      extractKnowledge: () => Promise.reject(new Error('unused')),
      review: () => Promise.reject(new Error('unused')),
      estimate: () => {
        throw new Error('unused');
      },
    };
    await receive(labeled(), () => failing);
    expect(edited[0]).toContain('❌ failed');
    expect(edited[0]).toContain('> The Anthropic API refused the API key (401).');
    expect(edited[0]).toContain('Then comment `/gantry replan`.');
  });
});
