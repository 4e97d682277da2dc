import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GANTRY_DIR } from '../../src/standin/sample.js';
import { StandIn } from '../../src/standin/stand-in.js';

const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Variables of this process for one test. */
function setEnv(vars: Record<string, string>): void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  closers.push(() => {
    for (const [k, v] of Object.entries(before))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
}

describe('a task job on the stand-in', () => {
  it("gets the user's HOME, what a proxy or a CA needs, what --env names, a runner's git config; its step ends with its shell", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'job-env-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const gate = join(dir, 'gate');
    const escaped = join(dir, 'escaped');
    closers.push(() => writeFileSync(gate, ''));
    setEnv({
      HOME: dir,
      no_proxy: 'localhost',
      SSL_CERT_DIR: '/etc/certs',
      MY_TOOL_HOME: '/opt/tool',
      SOME_SECRET: 'sk-secret',
    });
    // A process that left the step's group (setsid) and holds its output until the test ends;
    // the step ends once it has left.
    const hold = `while [ ! -f '${gate}' ] && [ -d '${dir}' ]; do sleep 0.05; done`;
    const workflow = `name: env
on: workflow_dispatch
jobs:
  env:
    runs-on: ubuntu-latest
    steps:
      - run: |
          env | sort
          setsid sh -c "touch '${escaped}'; ${hold}" &
          while [ ! -f '${escaped}' ]; do sleep 0.05; done
          echo step over
      - run: echo next step
`;
    const standIn = await StandIn.start({ actionDir: GANTRY_DIR, env: ['MY_TOOL_HOME'] });
    closers.push(() => standIn.close());
    await standIn.addRepo('octo/env', { '.github/workflows/env.yml': workflow }, { roles: {} });
    const gh = standIn.as('gantry[bot]', standIn.app);
    await gh.rest.actions.createWorkflowDispatch({
      owner: 'octo',
      repo: 'env',
      workflow_id: 'env.yml',
      ref: 'main',
    });
    await standIn.server.idle();
    const run = standIn.actions.runs[0]!;
    expect(run.conclusion).toBe('success');
    const log = run.jobs[0]!.log;
    for (const line of [
      `HOME=${dir}`,
      'no_proxy=localhost',
      'SSL_CERT_DIR=/etc/certs',
      'MY_TOOL_HOME=/opt/tool',
      'GIT_CONFIG_GLOBAL=/dev/null',
      'step over',
      'next step',
    ])
      expect(log).toContain(line);
    expect(log).not.toContain('sk-secret');
  });
});
