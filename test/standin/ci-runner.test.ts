import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CiRunner } from '../../src/standin/ci-runner.js';
import { GitHost } from '../../src/standin/git-host.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ci-runner-'));
  dirs.push(d);
  return d;
}

/** A `node` that only says its version, in `dir/bin`. */
function fakeNode(dir: string, version: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const bin = join(dir, 'bin', 'node');
  writeFileSync(bin, `#!/bin/sh\necho ${version}\n`);
  chmodSync(bin, 0o755);
  return bin;
}

let n = 0;
/** CI of one commit with these files, run with these options. */
async function ci(
  files: Record<string, string>,
  command: string,
  o: Partial<ConstructorParameters<typeof CiRunner>[1]> = {},
) {
  const git = new GitHost(temp());
  const sha = await git.createRepo('octo/ci', files);
  const runner = new CiRunner(git, {
    command: () => command,
    nextId: () => ++n,
    now: () => Date.now(),
    ...o,
  });
  const suite = (await runner.run('octo/ci', sha, 'main', sha))!;
  return { suite, run: suite.runs[0]! };
}

describe('CI on the stand-in, as Actions runs a step', () => {
  it('ends when the shell exits: what it left in the background does not hold it', async () => {
    const dir = temp();
    const gate = join(dir, 'gate');
    // Both wait for a file nobody writes until CI is over: one in the step's process group, one
    // out of it (setsid) and holding the output open (the step ends once it has left).
    const wait = `while [ ! -f '${gate}' ] && [ -d '${dir}' ]; do sleep 0.05; done; echo stray`;
    try {
      const { run } = await ci(
        { 'README.md': 'x\n' },
        `(${wait}) & setsid sh -c "touch '${gate}.out'; ${wait}" & ` +
          `while [ ! -f '${gate}.out' ]; do sleep 0.05; done; echo tests passed`,
      );
      expect(run.conclusion).toBe('success');
      expect(run.log).toContain('tests passed');
      expect(run.log).not.toContain('stray');
    } finally {
      writeFileSync(gate, '');
    }
  });

  it("stops at the repository's ci.timeoutMinutes, or at --ci-timeout whatever the config says", async () => {
    const forever = 'while true; do sleep 0.05; done';
    const own = await ci({ '.github/gantry.yml': 'ci:\n  timeoutMinutes: 0.001\n' }, forever);
    expect(own.run.conclusion).toBe('timed_out');
    expect(own.run.summary).toContain('ci.timeoutMinutes in .github/gantry.yml');
    expect(own.run.log).toContain('Time limit: 0.001 minutes');
    const flag = await ci({ '.github/gantry.yml': 'ci:\n  timeoutMinutes: 600\n' }, forever, {
      timeoutMinutes: 0.001,
    });
    expect(flag.run.conclusion).toBe('timed_out');
    expect(flag.run.summary).toContain('--ci-timeout');
    const none = await ci({ 'README.md': 'x\n' }, 'true');
    expect(none.run.log).toContain('Time limit: 30 minutes (the default of ci.timeoutMinutes)');
    // A typo elsewhere in the config is the App's to report; CI still takes its limit.
    const typo = await ci({ '.github/gantry.yml': 'labl: x\nci: { timeoutMinutes: 7 }\n' }, 'true');
    expect(typo.run.log).toContain('Time limit: 7 minutes');
  });

  it('gets what a proxy or a custom CA needs and what --env names, no other variable', async () => {
    const machineEnv = {
      PATH: process.env.PATH,
      HOME: '/home/someone',
      HTTPS_PROXY: 'http://proxy:3128',
      https_proxy: 'http://proxy:3128',
      NO_PROXY: 'localhost',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      SSL_CERT_FILE: '/etc/ca.pem',
      MY_TOOL_HOME: '/opt/tool',
      ANTHROPIC_API_KEY: 'sk-secret',
    };
    const { run } = await ci({ 'README.md': 'x\n' }, 'env', { machineEnv, env: ['MY_TOOL_HOME'] });
    for (const line of [
      'HOME=/home/someone',
      'HTTPS_PROXY=http://proxy:3128',
      'https_proxy=http://proxy:3128',
      'NO_PROXY=localhost',
      'NODE_EXTRA_CA_CERTS=/etc/ca.pem',
      'SSL_CERT_FILE=/etc/ca.pem',
      'MY_TOOL_HOME=/opt/tool',
      'CI=true',
    ])
      expect(run.log).toContain(line);
    expect(run.log).not.toContain('sk-secret');
  });

  it("runs on the repository's Node when it is installed, else on the user's, never Gantry's", async () => {
    const home = temp();
    fakeNode(join(home, '.nvm/versions/node/v18.19.0'), 'v18.19.0');
    fakeNode(join(home, '.nvm/versions/node/v20.11.1'), 'v20.11.1');
    const user = fakeNode(join(home, 'user'), 'v22.1.0');
    // What `npm run demo` puts first: Gantry's node_modules/.bin, with its Node 24.
    const gantry = join(home, 'gantry/node_modules/.bin');
    fakeNode(join(home, 'gantry/node_modules/.bin/..'), 'v24.0.0');
    mkdirSync(gantry, { recursive: true });
    writeFileSync(join(gantry, 'node'), '#!/bin/sh\necho v24.0.0\n');
    chmodSync(join(gantry, 'node'), 0o755);
    const machineEnv = {
      HOME: home,
      PATH: [gantry, join(home, 'user/bin'), '/usr/bin', '/bin'].join(':'),
    };
    const o = { machineEnv };

    const nvmrc = await ci({ '.nvmrc': '18\n' }, 'node --version', o);
    expect(nvmrc.run.log).toContain('Node v18.19.0');
    expect(nvmrc.run.log).toContain('.nvmrc asks for 18');
    expect(nvmrc.run.log.trim().split('\n').at(-1)).toBe('v18.19.0');

    const engines = { 'package.json': JSON.stringify({ engines: { node: '>=18 <21' } }) };
    const range = await ci(engines, 'node --version', o);
    expect(range.run.log.trim().split('\n').at(-1)).toBe('v20.11.1');

    const file = await ci({ '.node-version': '22.1\n' }, 'node --version', o);
    expect(file.run.log).toContain(`${user}, your node on PATH`);
    expect(file.run.log.trim().split('\n').at(-1)).toBe('v22.1.0');

    const missing = await ci({ '.nvmrc': 'v16\n' }, 'node --version', o);
    expect(missing.run.log).toContain('asks for v16, which is not installed on this machine');
    expect(missing.run.log.trim().split('\n').at(-1)).toBe('v22.1.0');

    const plain = await ci({ 'package.json': '{}' }, 'node --version', o);
    expect(plain.run.log).toContain('the repository declares no version');
    expect(plain.run.log).not.toContain('v24.0.0');
  });
});
