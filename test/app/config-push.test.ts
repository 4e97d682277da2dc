import { describe, expect, it } from 'vitest';
import { configPushed } from '../../src/app/config-push.js';
import { examplePayload } from '../support/probot.js';

/** GitHub's example push, to `main` of Codertocat/Hello-World, changing `files`. */
function push(
  files: { added?: string[]; removed?: string[]; modified?: string[] },
  over = {},
): Record<string, unknown> {
  const p = examplePayload<Record<string, unknown>>('push', undefined as unknown as string);
  (p.repository as { default_branch: string }).default_branch = 'main';
  const commit = { added: [], removed: [], modified: [], ...files };
  return { ...p, ref: 'refs/heads/main', commits: [commit], head_commit: commit, ...over };
}

describe('a push', () => {
  it('to the default branch touching .github/gantry.yml changes the config', () => {
    const repo = { repo: 'Codertocat/Hello-World' };
    expect(configPushed(push({ modified: ['.github/gantry.yml'] }))).toEqual(repo);
    expect(configPushed(push({ added: ['.github/gantry.yml'] }))).toEqual(repo);
    expect(configPushed(push({ removed: ['.github/gantry.yml'] }))).toEqual(repo);
  });

  it('that cannot say what it changed (forced, no commits listed) may have', () => {
    const repo = { repo: 'Codertocat/Hello-World' };
    expect(configPushed(push({ modified: ['README.md'] }, { forced: true }))).toEqual(repo);
    expect(configPushed(push({}, { commits: [] }))).toEqual(repo);
  });

  it("to the owner's .github repository may change every repository's config", () => {
    const p = push({ modified: ['.github/gantry.yml'] });
    (p.repository as { name: string }).name = '.github';
    expect(configPushed(p)).toEqual({ owner: 'Codertocat' });
  });

  it('of other files, to another branch, or not a push at all, changes nothing', () => {
    expect(configPushed(push({ modified: ['README.md', 'gantry.yml'] }))).toBeUndefined();
    expect(
      configPushed(push({ modified: ['.github/gantry.yml'] }, { ref: 'refs/heads/feature' })),
    ).toBeUndefined();
    expect(
      configPushed(push({ modified: ['.github/gantry.yml'] }, { ref: 'refs/tags/main' })),
    ).toBeUndefined();
    expect(configPushed({ ref: 'refs/heads/main' })).toBeUndefined();
  });
});
