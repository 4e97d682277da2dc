import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { StandIn } from '../../src/standin/stand-in.js';

const QUICK = `name: quick
on: workflow_dispatch
jobs:
  quick:
    runs-on: ubuntu-latest
    steps:
      - run: echo quick
`;

const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An app's webhook endpoint: what arrived, in order, and a hook on each arrival. */
async function endpoint(
  onEvent: (name: string) => void,
): Promise<{ url: string; received: string[] }> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const name = `${String(req.headers['x-github-event'])}.${(JSON.parse(body) as { action: string }).action}`;
      received.push(name);
      onEvent(name);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
}

describe('webhooks go as their events happen, while runs go on', () => {
  it("a task run's completion is delivered while CI of another push is still running", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-webhooks-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const gate = join(dir, 'gate');
    // CI that can only end once the app has heard that the workflow run completed: a stand-in
    // that held webhooks until every run ended would never open the gate.
    const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
    closers.push(() => standIn.close());
    await standIn.addRepo(
      'octo/live',
      { 'README.md': '# live\n', '.github/workflows/quick.yml': QUICK },
      {
        roles: {},
        ci: `while [ ! -f '${gate}' ] && [ -d '${dir}' ]; do sleep 0.05; done; echo gate open`,
      },
    );
    const app = await endpoint((name) => {
      if (name === 'workflow_run.completed') writeFileSync(gate, '');
    });
    standIn.connect({ url: app.url, secret: 's' });
    const gh = standIn.as('gantry[bot]', standIn.app);
    const o = { owner: 'octo', repo: 'live' };

    // A push by the App starts CI, then a workflow is dispatched.
    const base = (await standIn.git.branchSha('octo/live', 'main'))!;
    await standIn.git.createBranch('octo/live', 'feature', base);
    const me = { name: 'Octo', email: 'o@example.com' };
    const next = await standIn.git.commitFiles('octo/live', base, { a: 'a\n' }, 'a', me);
    await gh.rest.git.updateRef({ ...o, ref: 'heads/feature', sha: next });
    await gh.rest.actions.createWorkflowDispatch({ ...o, workflow_id: 'quick.yml', ref: 'main' });

    await standIn.settle(() => Promise.resolve());
    expect(existsSync(gate)).toBe(true);
    const done = app.received.indexOf('workflow_run.completed');
    const ci = app.received.indexOf('check_suite.completed');
    expect(done).toBeGreaterThanOrEqual(0);
    expect(ci).toBeGreaterThan(done);
    expect(standIn.ci.suites.map((s) => s.conclusion)).toEqual(['success']);
    expect(standIn.problems()).toEqual([]);
  });
});
