import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scrubGitConfigs } from '../../src/action/sandbox/scrub-git-config.js';
import { makeRepo, sh } from '../support/git-repo.js';

const TOKEN = 'ghs_review3token0451';

/** Every file under `dir` that still holds the token. */
function holding(dir: string): string[] {
  try {
    return execFileSync('grep', ['-rl', TOKEN, dir], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return [];
  }
}

describe("the agent's copy carries no credential, wherever git keeps it", () => {
  it('a token in a url.<base>.insteadOf subsection', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    sh(
      repo.dir,
      'config',
      `url.https://x-access-token:${TOKEN}@github.com/.insteadOf`,
      'https://github.com/',
    );
    await scrubGitConfigs(repo.dir);
    expect(holding(repo.dir)).toEqual([]);
  });

  it("a token in a submodule's URL (resolved from a tokenized remote by `git submodule init`)", async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    sh(
      repo.dir,
      'config',
      'submodule.lib.url',
      `https://x-access-token:${TOKEN}@github.com/o/lib.git`,
    );
    await scrubGitConfigs(repo.dir);
    expect(holding(repo.dir)).toEqual([]);
  });

  it('a token in http.proxy or a URL-valued branch.<n>.remote', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    sh(repo.dir, 'config', 'http.proxy', `http://user:${TOKEN}@proxy.example:3128`);
    sh(repo.dir, 'config', 'branch.main.remote', `https://x:${TOKEN}@github.com/o/r.git`);
    await scrubGitConfigs(repo.dir);
    expect(holding(repo.dir)).toEqual([]);
  });

  it('the header in .git/config.worktree (extensions.worktreeConfig)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    sh(repo.dir, 'config', 'extensions.worktreeConfig', 'true');
    sh(
      repo.dir,
      'config',
      '--worktree',
      'http.https://github.com/.extraheader',
      `AUTHORIZATION: basic ${TOKEN}`,
    );
    await scrubGitConfigs(repo.dir);
    expect(holding(repo.dir)).toEqual([]);
    expect(sh(repo.dir, 'config', '--list')).not.toContain(TOKEN);
  });

  it('a second actions/checkout (`path:` inside the workspace) persists its header in its own .git', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const tools = join(repo.dir, 'tools');
    mkdirSync(tools);
    execFileSync('git', ['init', '-q'], { cwd: tools });
    sh(tools, 'config', 'http.https://github.com/.extraheader', `AUTHORIZATION: basic ${TOKEN}`);
    await scrubGitConfigs(repo.dir);
    expect(holding(repo.dir)).toEqual([]);
    expect(readFileSync(join(tools, '.git', 'config'), 'utf8')).toContain('[core]');
  });
});
