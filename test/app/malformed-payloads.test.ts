import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Probot } from 'probot';
import { describe, expect, it } from 'vitest';
import { gantryApp } from '../../src/app/app.js';
import { WEBHOOK_HINTS } from '../../src/app/webhook-hints.js';
import { PAYLOAD_SHAPES, payloadProblem } from '../../src/app/webhook-shapes.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { appHarness, DIAMOND, KEY } from '../support/app-harness.js';
import { MemoryGitHub } from '../support/memory-github.js';
import { examplePayload } from '../support/probot.js';

const start = appHarness();

type Payload = Record<string, unknown>;
const without = (p: Payload, path: string): Payload => {
  const keys = path.split('.');
  let at = p;
  for (const k of keys.slice(0, -1)) at = at[k] as Payload;
  delete at[keys.at(-1)!];
  return p;
};
const withValue = (p: Payload, path: string, value: unknown): Payload => {
  const keys = path.split('.');
  let at = p;
  for (const k of keys.slice(0, -1)) at = at[k] as Payload;
  at[keys.at(-1)!] = value;
  return p;
};

/** Each malformed payload the issue lists, as a delivery would carry it. */
function malformed(github: MemoryGitHub): [string, string, Payload][] {
  const labeled = () => github.label('gantry') as Payload;
  const command = () => github.addComment('/gantry status').payload as Payload;
  const edited = () => github.editIssue('new body') as Payload;
  return [
    ['no repository', 'issues', without(labeled(), 'repository')],
    ['no issue', 'issues', without(labeled(), 'issue')],
    ['no sender', 'issues', without(labeled(), 'sender')],
    ['no default branch', 'issues', without(labeled(), 'repository.default_branch')],
    ['an empty default branch', 'issues', withValue(labeled(), 'repository.default_branch', '')],
    ['an issue number that is not one', 'issues', withValue(labeled(), 'issue.number', '1')],
    ['no changes on an edit', 'issues', without(edited(), 'changes')],
    ['a comment whose body is null', 'issue_comment', withValue(command(), 'comment.body', null)],
    ['no sender on a comment', 'issue_comment', without(command(), 'sender')],
    [
      'no changes on a comment edit',
      'issue_comment',
      without(withValue(command(), 'action', 'edited'), 'changes'),
    ],
    [
      'a check suite without its sha',
      'check_suite',
      without(examplePayload('check_suite', 'completed'), 'check_suite.head_sha'),
    ],
    [
      'a status without branches',
      'status',
      without(examplePayload('status', undefined as never), 'branches'),
    ],
  ];
}

describe('a malformed or partial webhook payload', () => {
  it('has a shape for every event Gantry handles', () => {
    expect(Object.keys(PAYLOAD_SHAPES).sort()).toEqual(Object.keys(WEBHOOK_HINTS).sort());
  });

  it('is told from a payload with less than GitHub may send: a check run whose suite names no branch is used', () => {
    const run = examplePayload('check_run', 'completed');
    withValue(run, 'check_run.check_suite', { id: 5 });
    expect(payloadProblem('check_run.completed', run)).toBeUndefined();
    expect(payloadProblem('check_run.completed', without(run, 'check_run.head_sha'))).toBe(
      'check_run.head_sha: Invalid input: expected string, received undefined',
    );
  });

  it('is ignored: no throw, no request to GitHub, no goal job', async () => {
    const h = await start();
    for (const [what, name, payload] of malformed(h.github)) {
      h.github.calls.length = 0;
      await expect(
        h.probot.receive({ id: `bad-${what}`, name, payload } as never),
        what,
      ).resolves.not.toThrow();
      await h.app.idle();
      expect(h.github.calls, what).toEqual([]);
    }
    expect(h.errors).toEqual([]);
    // The same deliveries whole still work.
    await h.deliver('issues', h.github.label('gantry'));
    expect(h.state().status).toBe('awaiting-approval');
  });

  it('leaves a warning naming the event, the delivery and what is wrong', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const github = new MemoryGitHub();
    const scripted = await ScriptedPlanner.fromFile(DIAMOND);
    const app = gantryApp({
      planner: () => scripted,
      stateKey: KEY,
      github: { repository: () => github.port, app: () => github.app },
    });
    const probot = new Probot({ githubToken: 'test-token', log: pino({ level: 'info' }, sink) });
    await probot.load(app);
    const payload = withValue(github.addComment('/gantry status').payload, 'comment.body', null);
    await probot.receive({ id: 'delivery-77', name: 'issue_comment', payload } as never);
    await app.idle();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        event: 'issue_comment.created',
        delivery: 'delivery-77',
        problem: 'comment.body: Invalid input: expected string, received null',
      }),
    );
    expect(github.calls).toEqual([]);
  });
});
