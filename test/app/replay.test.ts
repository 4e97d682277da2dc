import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GantryStore } from '../../src/app/store/store.js';
import { GoalView } from '../../src/standin/goal-view.js';
import {
  GANTRY_DIR,
  SAMPLE_CI,
  SAMPLE_ISSUE,
  SAMPLE_REPO,
  sampleAgent,
  sampleFiles,
  samplePlan,
  scriptedAgentCommand,
} from '../../src/standin/sample.js';
import { StandIn } from '../../src/standin/stand-in.js';
import { messageResponse } from '../support/anthropic-api.js';
import { fakeAnthropicApi } from '../support/fake-anthropic-api.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

const KEY = 'k'.repeat(64);

/**
 * A labelled issue on the stand-in and the `issues.labeled` payload GitHub sent for it, saved
 * to a file as an operator saves one from the App's "Recent Deliveries".
 */
async function savedDelivery(dir: string) {
  const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
  stops.push(() => standIn.close());
  writeFileSync(join(dir, 'agent.json'), JSON.stringify(sampleAgent()));
  const repo = await standIn.addRepo(
    SAMPLE_REPO,
    sampleFiles(scriptedAgentCommand(join(dir, 'agent.json'))),
    { roles: { maint: 'maintain' }, ci: SAMPLE_CI },
  );
  const issue = standIn.store.addIssue(repo, 'maint', SAMPLE_ISSUE.title, SAMPLE_ISSUE.body);
  writeFileSync(join(dir, 'key.pem'), standIn.app.privateKey);
  const saved: { event: string; body: string }[] = [];
  const capture = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      saved.push({
        event: String(req.headers['x-github-event']),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.end();
    });
  });
  capture.listen(0, '127.0.0.1');
  await once(capture, 'listening');
  stops.push(async () => {
    capture.close();
    await once(capture, 'close');
  });
  const sender = standIn.connect({
    url: `http://127.0.0.1:${(capture.address() as AddressInfo).port}`,
    secret: 's',
  });
  await standIn.as('maint').rest.issues.addLabels({
    owner: repo.owner,
    repo: repo.name,
    issue_number: issue.number,
    labels: ['gantry'],
  });
  await sender.flush();
  const labeled = saved.find((d) => d.event === 'issues')!;
  writeFileSync(join(dir, 'payload.json'), labeled.body);
  return { standIn, repo, issue, payload: join(dir, 'payload.json') };
}

/** `npx probot receive -e issues -p <payload> dist/app/probot-entry.js`, as the README says. */
async function replay(env: Record<string, string>, payload: string) {
  const child = spawn(
    process.execPath,
    [
      join(GANTRY_DIR, 'node_modules/probot/bin/probot.js'),
      'receive',
      '-e',
      'issues',
      '-p',
      payload,
      'dist/app/probot-entry.js',
    ],
    { cwd: GANTRY_DIR, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('replaying a saved payload with `probot receive`', () => {
  it('uses the store of the environment, as the running App does, and ends when the work is done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-replay-'));
    const { standIn, repo, issue, payload } = await savedDelivery(dir);
    const model = await fakeAnthropicApi([
      { json: messageResponse(JSON.stringify(samplePlan().plans[0])) },
    ]);
    stops.push(() => model.close());
    const data = join(dir, 'data');
    const env = {
      APP_ID: String(standIn.app.id),
      PRIVATE_KEY_PATH: join(dir, 'key.pem'),
      GANTRY_STATE_KEY: KEY,
      GANTRY_DATA_DIR: data,
      GHE_HOST: new URL(standIn.apiUrl).host,
      GHE_PROTOCOL: 'http',
      LOG_LEVEL: 'warn',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: model.url,
    };

    const first = await replay(env, payload);
    expect(first, first.output).toMatchObject({ code: 0 });
    const view = new GoalView(standIn, repo, issue, KEY);
    expect(view.state()?.status).toBe('awaiting-approval');
    const store = await GantryStore.open({ dataDir: data });
    try {
      // What the replay wrote is in the App's store: the plan comment's state and the hint.
      const key = `${repo.owner}/${repo.name}#${issue.number}`;
      expect((await store.writtenGoal(key))?.revision).toBe(view.state()!.revision);
      const hints = await store.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM goal_hints WHERE done_at IS NOT NULL',
      );
      expect(hints[0]!.n).toBe(1);

      // While the App (here: this store) holds the data directory, a replay is refused, saying
      // why and what to do instead, and changes nothing.
      const comments = issue.comments.length;
      const refused = await replay(env, payload);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain(data);
      expect(refused.output).toContain('Recent Deliveries');
      expect(refused.output).not.toMatch(/\n\s+at /); // no stack trace
      expect(issue.comments.length).toBe(comments);
    } finally {
      await store.close();
    }
    expect(model.calls).toHaveLength(1);
  }, 120_000);

  it('is refused with a clear message, no stack trace, when the store of the environment is malformed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-replay-'));
    writeFileSync(join(dir, 'payload.json'), '{}');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const refused = await replay(
      {
        APP_ID: '1',
        PRIVATE_KEY_PATH: join(dir, 'key.pem'),
        GANTRY_STATE_KEY: KEY,
        DATABASE_URL: 'mysql://gantry@db/gantry',
      },
      join(dir, 'payload.json'),
    );
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      'Gantry cannot replay the payload: DATABASE_URL must be a PostgreSQL connection URL',
    );
    expect(refused.output).not.toMatch(/\n\s+at /);
  });
});
