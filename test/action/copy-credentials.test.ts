import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/action/run-command.js';
import { startContainment } from '../../src/action/sandbox/containment.js';
import { scrubGitConfigs } from '../../src/action/sandbox/scrub-git-config.js';
import { makeRepo, sh } from '../support/git-repo.js';

const TOKEN = 'ghs_copytoken0451';

/** A checkout as actions/checkout leaves it with persist-credentials (and a few other ways). */
function checkoutWithCredentials() {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
  sh(repo.dir, 'config', 'http.https://github.com/.extraheader', header);
  sh(repo.dir, 'config', 'includeIf.gitdir:/home/runner/work/.path', '/tmp/creds.config');
  sh(repo.dir, 'config', 'credential.helper', `!echo password=${TOKEN}`);
  sh(repo.dir, 'config', 'remote.origin.url', `https://x-access-token:${TOKEN}@github.com/o/r.git`);
  sh(repo.dir, 'config', 'user.name', 'Keeps Me');
  // A submodule's git directory, with the header the checkout gave it too.
  const module = join(repo.dir, '.git', 'modules', 'lib');
  mkdirSync(module, { recursive: true });
  writeFileSync(
    join(module, 'config'),
    `[core]\n\tbare = false\n[http "https://github.com/"]\n\textraheader = ${header}\n`,
  );
  return { repo, header };
}

describe("the agent's copy of the checkout carries no credential", () => {
  it('removes the persisted header, includes, helpers and tokens in URLs, and keeps the rest', async () => {
    const { repo } = checkoutWithCredentials();
    const removed = await scrubGitConfigs(repo.dir);
    expect(removed.sort()).toEqual([
      'credential.helper',
      'http.https://github.com/.extraheader',
      'http.https://github.com/.extraheader',
      'includeif.gitdir:/home/runner/work/.path',
      'the user and token in remote.origin.url',
    ]);
    const config = readFileSync(join(repo.dir, '.git', 'config'), 'utf8');
    expect(config).not.toContain(TOKEN);
    expect(config).not.toMatch(/extraheader|includeif|helper/i);
    expect(sh(repo.dir, 'config', 'remote.origin.url').trim()).toBe('https://github.com/o/r.git');
    expect(sh(repo.dir, 'config', 'user.name').trim()).toBe('Keeps Me');
    const module = readFileSync(join(repo.dir, '.git', 'modules', 'lib', 'config'), 'utf8');
    expect(module).not.toContain('extraheader');
    expect(module).toContain('bare = false');
  });

  it.skipIf(process.getuid?.() !== 0)(
    "leaves the checkout's own config as it was, and the contained agent finds no token",
    async () => {
      const { repo, header } = checkoutWithCredentials();
      const before = readFileSync(join(repo.dir, '.git', 'config'), 'utf8');
      const containment = await startContainment({ allow: [], hide: [repo.dir] });
      const sandbox = await containment.contain(repo.dir);
      try {
        const r = await runCommand(
          `cat .git/config .git/modules/lib/config; git config --list --show-origin; grep -rs '${TOKEN}' . ${repo.dir} && echo FOUND`,
          { cwd: sandbox.tree, timeoutMs: 60_000, sandbox },
        );
        expect(r.output).toContain('user.name=Keeps Me');
        expect(r.output).not.toContain(TOKEN);
        expect(r.output).not.toContain(header.slice(-20));
        expect(r.output).not.toContain('FOUND');
        expect(readFileSync(join(repo.dir, '.git', 'config'), 'utf8')).toBe(before);
      } finally {
        await sandbox.close();
        await containment.close();
      }
    },
  );
});
