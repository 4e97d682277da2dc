import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AgentUser } from './agent-user.js';
import type { Sandbox } from './sandbox.js';

const run = promisify(execFile);

/** What the contained agent may reach: the network namespace the job's egress proxy serves. */
export interface AgentNetworkAccess {
  nsPath: string;
  proxyUrl: string;
  refused(): { destination: string; count: number }[];
}

export interface ContainOptions {
  /** The checkout, with Gantry's git directory; the agent gets a copy, never this. */
  workspace: string;
  user: AgentUser;
  /** Without one, the agent's processes get a network namespace with no way out at all. */
  network?: AgentNetworkAccess | undefined;
  /**
   * Directories the agent must not see (the runner's temp and file-command files, the checkout,
   * Gantry's output): each is covered by an empty read-only tmpfs in the agent's mount namespace.
   */
  hide: string[];
  /** Where the job's directory is made (root-owned; default /home/gantry-agent). */
  base?: string;
  log?: (line: string) => void;
}

/**
 * Mount an empty tmpfs over each directory given before `--`, then run the rest. Runs as root in
 * the agent's fresh mount namespace, before the switch to the agent's user.
 */
const HIDE_SCRIPT =
  'while [ "$1" != "--" ]; do mount -t tmpfs -o ro,size=4k,mode=0555 gantry-hidden "$1" || exit 126; shift; done; shift; exec "$@"';

/**
 * Contain the agent: a copy of the checkout owned by the agent's user, in a job directory of its
 * own (home and temp included), and a way to start processes as that user in namespaces of their
 * own. Each process gets:
 * - the job's network namespace (only loopback, whose only ways out are the gateway and the
 *   filtering proxy), or an empty one;
 * - a new PID namespace with its own /proc, so no other process (the Action holding the key
 *   among them) is visible, and everything it leaves behind dies with it (`--kill-child`);
 * - a new mount namespace in which the runner's directories are covered;
 * - the agent's uid and gid, no supplementary groups, no capabilities, and no_new_privs, so no
 *   setuid program (`sudo`, `su`) can raise it.
 * Gantry's own git works on the copy with the checkout's git directory, which the agent cannot
 * write (or see): nothing the agent plants in its `.git` runs in Gantry's git.
 */
export async function containAgent(o: ContainOptions): Promise<Sandbox> {
  const { user } = o;
  const base = o.base ?? '/home/gantry-agent';
  await mkdir(base, { recursive: true });
  await chmod(base, 0o711);
  const job = await mkdtemp(join(base, 'job-'));
  const tree = join(job, 'work', basename(resolve(o.workspace)) || 'repo');
  const home = join(job, 'home');
  const tmp = join(job, 'tmp');
  await Promise.all([mkdir(tree, { recursive: true }), mkdir(home), mkdir(tmp)]);
  // The checkout as it is, ignored files (installed dependencies) included.
  await run('cp', ['-a', `${resolve(o.workspace)}/.`, tree]);
  const gitDir = (
    await run('git', ['rev-parse', '--absolute-git-dir'], { cwd: o.workspace })
  ).stdout.trim();
  const giveBack = async (paths: string[]) => {
    // -h, and -R without -L: links are changed themselves, never followed.
    if (paths.length) await run('chown', ['-R', '-h', `${user.uid}:${user.gid}`, '--', ...paths]);
  };
  await giveBack([job]);
  await chmod(job, 0o700);

  const keep = [job, tree];
  const hide = coverable(o.hide, keep);
  const path = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(delimiter)
    .filter((dir) => dir && !hide.some((h) => within(h, dir)))
    .join(delimiter);
  const proxy = o.network?.proxyUrl;
  const baseEnv: Record<string, string> = {
    PATH: path,
    HOME: home,
    USER: user.name,
    LOGNAME: user.name,
    SHELL: '/bin/bash',
    TMPDIR: tmp,
    CI: 'true',
    ...pick(['LANG', 'LC_ALL', 'TZ', 'TERM']),
    ...(proxy
      ? {
          HTTP_PROXY: proxy,
          HTTPS_PROXY: proxy,
          http_proxy: proxy,
          https_proxy: proxy,
          NO_PROXY: '127.0.0.1,localhost',
          // Node's own fetch follows the variables only when asked (Node 24).
          NODE_USE_ENV_PROXY: '1',
          no_proxy: '127.0.0.1,localhost',
        }
      : {}),
  };
  o.log?.(
    `The agent runs as ${user.name} (uid ${user.uid}) in ${tree}; hidden from it: ${hide.join(', ') || 'nothing'}`,
  );

  return {
    isolated: true,
    tree,
    scratch: tmp,
    gitEnv: { GIT_DIR: gitDir, GIT_WORK_TREE: tree },
    env: (extra = {}) => ({ ...baseEnv, ...extra }),
    spawn(file, args, opts) {
      const netns = o.network ? ['nsenter', `--net=${o.network.nsPath}`, '--'] : [];
      const argv = [
        ...netns,
        'unshare',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        ...(o.network ? [] : ['--net']),
        '--',
        '/bin/sh',
        '-c',
        HIDE_SCRIPT,
        'sh',
        ...hide,
        '--',
        'setpriv',
        `--reuid=${user.uid}`,
        `--regid=${user.gid}`,
        '--clear-groups',
        '--no-new-privs',
        '--bounding-set=-all',
        '--',
        file,
        ...args,
      ];
      return spawn(argv[0]!, argv.slice(1), {
        cwd: opts.cwd,
        env: opts.env,
        stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    },
    handBack: (paths) => giveBack(paths ?? [tree]),
    refusedEgress: () => o.network?.refused() ?? [],
    close: () => rm(job, { recursive: true, force: true }),
  };
}

function pick(names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((n) => (process.env[n] ? [[n, process.env[n]] as const] : [])),
  );
}

/** Whether `path` is `dir` or inside it. */
function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The directories that can be covered: existing directories, outermost only, never `/` nor one
 * that holds what the agent needs (its job directory).
 */
function coverable(dirs: string[], keep: string[]): string[] {
  const real = [...new Set(dirs.filter(Boolean).map((d) => resolve(d)))]
    .filter((d) => d !== '/' && existsSync(d) && statSync(d).isDirectory())
    .filter((d) => !keep.some((k) => within(d, k)))
    .sort((a, b) => a.length - b.length);
  return real.filter((d, k) => !real.slice(0, k).some((outer) => within(outer, d)));
}
