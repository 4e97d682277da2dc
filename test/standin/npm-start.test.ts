import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { GANTRY_DIR, SAMPLE_ISSUE, SAMPLE_REPO, sampleFiles } from '../../src/standin/sample.js';
import { StandIn } from '../../src/standin/stand-in.js';
import { freePort } from '../support/free-port.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** Wait for `done`, polling; an error naming `what` after a generous deadline. */
async function waitFor(what: string, done: () => boolean, log: () => string): Promise<void> {
  for (let k = 0; k < 300; k++) {
    if (done()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not happen; the App said:\n${log()}`);
}

describe('`npm start` against the stand-in, configured as for GitHub Enterprise', () => {
  it('starts from the environment (APP_ID, PRIVATE_KEY_PATH, GHE_HOST, GHE_PROTOCOL), sweeps at start-up, and answers webhooks signed with its secret only', async () => {
    const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
    stops.push(() => standIn.close());
    const repo = await standIn.addRepo(SAMPLE_REPO, sampleFiles('true'), {
      roles: { maint: 'maintain' },
    });
    const issue = standIn.store.addIssue(repo, 'maint', SAMPLE_ISSUE.title, SAMPLE_ISSUE.body);
    // Labelled by a maintainer before the App starts: the start-up sweep finds it.
    issue.labels.push('gantry');
    issue.events.push({
      event: 'labeled',
      label: 'gantry',
      actor: 'maint',
      at: standIn.store.now(),
    });
    const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
    writeFileSync(join(dir, 'key.pem'), standIn.app.privateKey);
    const port = await freePort();
    let log = '';
    // `npm start`'s command: the committed bundle (check-dist keeps it fresh).
    const app = spawn(process.execPath, ['dist/app/main.js'], {
      cwd: GANTRY_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        APP_ID: String(standIn.app.id),
        PRIVATE_KEY_PATH: join(dir, 'key.pem'),
        WEBHOOK_SECRET: 'npm-start-secret',
        GANTRY_STATE_KEY: 'k'.repeat(64),
        GANTRY_DATA_DIR: join(dir, 'data'),
        GHE_HOST: new URL(standIn.apiUrl).host,
        GHE_PROTOCOL: 'http',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
    });
    app.stdout.on('data', (d: Buffer) => (log += d.toString()));
    app.stderr.on('data', (d: Buffer) => (log += d.toString()));
    stops.push(async () => {
      app.kill('SIGTERM');
      await new Promise((r) => app.once('exit', r));
    });
    const byApp = () => issue.comments.filter((c) => c.app?.id === standIn.app.id);
    // No ANTHROPIC_API_KEY: the sweep found the goal, and planning says what is missing.
    await waitFor(
      'the start-up sweep',
      () => byApp().some((c) => /ANTHROPIC_API_KEY/.test(c.body)),
      () => log,
    );
    expect(standIn.server.requests.slice(0, 2).map((r) => r.call)).toEqual([
      'GET /app/installations',
      'POST /app/installations/1/access_tokens',
    ]);
    // A webhook not signed with WEBHOOK_SECRET is refused.
    const forged = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': 'forged-1',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }),
    });
    expect(forged.status).toBe(400);
    // Webhooks reach it on PORT: a command is answered.
    const sender = standIn.connect({
      url: `http://127.0.0.1:${port}/api/github/webhooks`,
      secret: 'npm-start-secret',
    });
    await standIn.as('maint').rest.issues.createComment({
      owner: repo.owner,
      repo: repo.name,
      issue_number: issue.number,
      body: '/gantry help',
    });
    await sender.flush();
    // Also the webhooks of the App's own start-up writes, which waited for a listener.
    expect(new Set(sender.deliveries.map((d) => d.outcome))).toEqual(new Set([200]));
    expect(sender.deliveries.map((d) => `${d.event}.${d.action}`)).toContain(
      'issue_comment.created',
    );
    await waitFor(
      'the reply to /gantry help',
      () => byApp().some((c) => c.body.includes('/gantry replan')),
      () => log,
    );
    expect(standIn.problems()).toEqual([]);
  });
});
