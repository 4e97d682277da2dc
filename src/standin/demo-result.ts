import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A commit on the goal branch, and the task whose `Gantry-Task` trailer it carries. */
export interface TaskCommit {
  task: string;
  sha: string;
  subject: string;
}

/** What the demo leaves behind of a goal branch (paths absolute), and what the page shows. */
export interface KeptResult {
  branch: string;
  /** The goal branch as a git bundle; its prerequisite (if any) is the commit the copy took. */
  bundle: string;
  /** The goal's change as one commit, for `git am` on that commit. */
  patch: string;
  /** The commit the patch applies to and the bundle needs, when the repository was a copy. */
  prerequisite: string | undefined;
  stat: string;
  diff: string;
  commits: TaskCommit[];
}

/** The page shows this much of the diff; the patch has all of it. */
const PAGE_DIFF = 200_000;

const git = (dir: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...env },
  });

/**
 * The goal branch of a bare repository kept in `out`: a bundle of it and a patch of its change as
 * one commit on `base` (the default branch the goal started from), with its diff and each task's
 * commits. Undefined when the branch does not exist or holds no change.
 */
export function keepResult(o: {
  bare: string;
  base: string;
  branch: string;
  /** Whether `base` is the stand-in's install commit on a copy of the user's repository. */
  copied: boolean;
  title: string;
  out: string;
  slug: string;
}): KeptResult | undefined {
  const ref = `refs/heads/${o.branch}`;
  let head: string;
  try {
    head = git(o.bare, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).trim();
  } catch {
    return undefined;
  }
  const base = git(o.bare, ['merge-base', `refs/heads/${o.base}`, head]).trim();
  const stat = git(o.bare, ['diff', '--stat=100', base, head]);
  if (!stat.trim()) return undefined;
  const log = git(o.bare, [
    'log',
    '--no-merges',
    '--reverse',
    '--format=%H%x1f%s%x1f%(trailers:key=Gantry-Task,valueonly,separator=%x2C)%x1e',
    `${base}..${head}`,
  ]);
  const commits = log
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha = '', subject = '', task = ''] = r.split('\x1f');
      return { sha, subject, task: task.trim() || '(no task)' };
    });
  const prerequisite = o.copied
    ? git(o.bare, ['rev-parse', `${base}^`]).trim() // the copy's install commit sits on it
    : undefined;
  const bundle = join(o.out, `${o.slug}.bundle`);
  git(o.bare, [
    'bundle',
    'create',
    '--quiet',
    bundle,
    ref,
    ...(prerequisite ? [`^${prerequisite}`] : []),
  ]);
  // One commit of the whole change, on the default branch without the stand-in's install commit's
  // changes (the diff starts after it), so `git am` applies it to the commit the copy took.
  const who = { name: 'Gantry demo', email: 'gantry-demo@example.com' };
  const body = commits.map((c) => `- ${c.task}: ${c.subject}`).join('\n');
  const squash = git(
    o.bare,
    [
      'commit-tree',
      `${head}^{tree}`,
      '-p',
      base,
      '-m',
      o.title,
      '-m',
      `${body}\n\nThe goal branch ${o.branch}, squashed.`,
    ],
    {
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
    },
  ).trim();
  const patch = join(o.out, `${o.slug}.patch`);
  writeFileSync(patch, git(o.bare, ['format-patch', '--binary', '-1', squash, '--stdout']));
  const diff = git(o.bare, ['diff', base, head]);
  return {
    branch: o.branch,
    bundle,
    patch,
    prerequisite,
    stat,
    diff:
      diff.length > PAGE_DIFF
        ? `${diff.slice(0, PAGE_DIFF)}\n… (cut here; the patch has all of it)\n`
        : diff,
    commits,
  };
}
