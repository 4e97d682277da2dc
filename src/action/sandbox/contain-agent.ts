import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { basename, delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AgentNetwork } from './agent-network.js';
import type { AgentUser } from './agent-user.js';
import { killGroup, Running, type Sandbox } from './sandbox.js';
import { scrubGitConfigs } from './scrub-git-config.js';

const run = promisify(execFile);

/** What the contained agent may reach: the network namespace the job's egress proxy serves. */
type AgentNetworkAccess = Pick<AgentNetwork, 'nsPath' | 'proxyUrl' | 'refused'>;

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
 * Runs as root, as PID 1 of the agent's fresh PID and mount namespaces: covers each `ro:<dir>`
 * with an empty read-only tmpfs and each `rw:<dir>` with a fresh private one, then runs the rest
 * (the switch to the agent's user and the command) as its child and exits with its status. PID 1
 * stays root's shell, never the agent's: it keeps the parent-death signal `unshare --kill-child`
 * gave it (a uid change would clear it), the agent cannot signal it, and when it exits (the
 * command ended, or it was killed with `unshare`) the kernel kills everything left in the
 * namespace, whatever left its process group.
 */
const COVER_SCRIPT = [
  // Other jobs' directories (same user, another task) are out of sight: the base is covered and
  // this job's directory bound back in its place (from the working directory, which still
  // reaches it).
  'cd "$GANTRY_JOB" || exit 126',
  'mount -t tmpfs -o nosuid,nodev,size=64k,mode=0711 gantry-jobs "$GANTRY_BASE" || exit 126',
  // -c: the kernel, not mount, resolves ".", so it is the directory, not its (covered) path.
  'mkdir "$GANTRY_JOB" && mount -c --bind . "$GANTRY_JOB" || exit 126',
  'while [ "$1" != "--" ]; do',
  '  case "$1" in',
  '    ro:*) mount -t tmpfs -o ro,nosuid,nodev,size=4k,mode=0555 gantry-hidden "${1#ro:}" || exit 126 ;;',
  '    rw:*) mount -t tmpfs -o nosuid,nodev,mode=1777 gantry-tmp "${1#rw:}" || exit 126 ;;',
  '  esac',
  '  shift',
  'done',
  'shift',
  'cd "$GANTRY_CWD" || exit 126',
  // Not the script's last command: a shell may exec its last one, and PID 1 must stay this shell.
  '"$@"',
  'exit $?',
].join('\n');

/**
 * Shared with every other process on the machine and never the agent's to keep: fresh and empty
 * in its mount namespace. `/run` (and `/var/run`) hold host services' Unix sockets (the resolver,
 * D-Bus, Docker), which a network namespace does not cut off.
 */
const FRESH = ['/tmp', '/var/tmp', '/dev/shm'];
const COVERED = ['/run', '/var/run'];

/**
 * Contain the agent: a copy of the checkout owned by the agent's user, in a job directory of its
 * own (home and temp included), and a way to start processes as that user in namespaces of their
 * own. Each process gets:
 * - the job's network namespace (only loopback, whose only ways out are the gateway and the
 *   filtering proxy), or an empty one; its own IPC namespace;
 * - a new PID namespace with its own /proc, so no other process (the Action holding the key
 *   among them) is visible, and everything it leaves behind dies with it;
 * - a new mount namespace in which the runner's directories and host services' sockets are
 *   covered, and `/tmp` is its own;
 * - the agent's uid and gid, no supplementary groups, no capabilities, and no_new_privs, so no
 *   setuid program (`sudo`, `su`) can raise it.
 * The job directory and the directory above the copy stay root's: the agent owns its copy, its
 * home and its temp, but cannot put a link where Gantry (root) expects its copy. Gantry's own git
 * works on the copy with the checkout's git directory, which the agent cannot write (or see):
 * nothing the agent plants in its `.git` runs in Gantry's git.
 */
export async function containAgent(o: ContainOptions): Promise<Sandbox> {
  const base = o.base ?? AGENT_BASE;
  await ownBase(base);
  const job = await mkdtemp(join(base, 'job-'));
  try {
    return await prepare(o, base, job);
  } catch (e) {
    await rm(job, { recursive: true, force: true });
    throw e;
  }
}

async function prepare(o: ContainOptions, base: string, job: string): Promise<Sandbox> {
  const { user } = o;
  await chmod(job, 0o711);
  const parent = join(job, 'work');
  const tree = join(parent, basename(resolve(o.workspace)) || 'repo');
  const home = join(job, 'home');
  const tmp = join(job, 'tmp');
  // Root's, readable by the agent: what Gantry hands it (a prompt), where it cannot plant a link.
  const handed = join(job, 'handed');
  await mkdir(parent, { mode: 0o755 });
  await Promise.all([mkdir(home), mkdir(tmp), mkdir(handed, { mode: 0o755 })]);
  // The checkout as it is, ignored files (installed dependencies) included.
  await run('cp', ['-a', `${resolve(o.workspace)}/.`, `${tree}/`]);
  // The checkout's token (persist-credentials) stays with the checkout.
  const scrubbed = await scrubGitConfigs(tree);
  if (scrubbed.length)
    o.log?.(`Removed from the agent's copy of the git config: ${scrubbed.join(', ')}`);
  const gitDir = (
    await run('git', ['rev-parse', '--absolute-git-dir'], { cwd: o.workspace })
  ).stdout.trim();
  const giveBack = async (paths: string[]) => {
    // -h, and -R without -L: links are changed themselves, never followed.
    if (paths.length) await run('chown', ['-R', '-h', `${user.uid}:${user.gid}`, '--', ...paths]);
  };
  await giveBack([tree, home, tmp]);
  await Promise.all([chmod(home, 0o700), chmod(tmp, 0o700)]);

  const hide = coverable([...o.hide, ...COVERED], [job, tree]);
  const path = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(delimiter)
    .filter((dir) => dir && !hide.some((h) => within(h, dir)))
    .join(delimiter);
  // A temp directory that holds the agent's tools (a checkout under /tmp with its node) stays.
  const fresh = coverable(FRESH, [job, tree, ...path.split(delimiter)]).filter(
    (d) => !hide.some((h) => within(h, d)),
  );
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
  const running = new Running();
  o.log?.(
    `The agent runs as ${user.name} (uid ${user.uid}) in ${tree}; hidden from it: ${hide.join(', ') || 'nothing'}`,
  );

  return {
    isolated: true,
    tree,
    scratch: handed,
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
        '--ipc',
        ...(o.network ? [] : ['--net']),
        '--',
        '/bin/sh',
        '-c',
        COVER_SCRIPT,
        'sh',
        ...hide.map((d) => `ro:${d}`),
        ...fresh.map((d) => `rw:${d}`),
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
      // The working directory is entered after the mounts, inside the namespace.
      return running.track(
        spawn(argv[0]!, argv.slice(1), {
          cwd: '/',
          env: { ...opts.env, GANTRY_CWD: opts.cwd, GANTRY_JOB: job, GANTRY_BASE: base },
          stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
          detached: true,
        }),
      );
    },
    kill: (child) => void killNamespace(child),
    stopAll: () => running.stopAll(killNamespace),
    handBack: (paths) => giveBack(paths ?? [tree]),
    refusedEgress: () => o.network?.refused() ?? [],
    close: () => rm(job, { recursive: true, force: true }),
  };
}

/**
 * Kill everything in a spawned process's PID namespace. The namespace's PID 1 (root's shell, the
 * child of `unshare`) is killed first: the kernel then kills every process in the namespace and
 * lets PID 1 be reaped only when all of them are gone, so `unshare`'s exit (awaited by the
 * caller) means the namespace is empty. `unshare` itself ignores SIGTERM while it waits.
 */
async function killNamespace(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const init = child.pid ? await childOf(child.pid) : undefined;
  if (init !== undefined)
    try {
      process.kill(init, 'SIGKILL');
      return;
    } catch {
      // Gone already.
    }
  // No PID 1 (not forked yet, or gone): the group holds `unshare` and whatever it forks.
  killGroup(child.pid);
}

/**
 * `unshare`'s one child (the namespace's PID 1): from /proc/<pid>/task/<pid>/children where the
 * kernel has it, else the first process whose parent is `pid` (the 4th field of its stat).
 * Killed as soon as found, so the pid has little time to be reused.
 */
async function childOf(pid: number): Promise<number | undefined> {
  const listed = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => undefined);
  if (listed !== undefined) {
    const first = listed.trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  }
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // The command name, in parentheses, may hold spaces and parentheses: read after the last.
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) return Number(name);
  }
  return undefined;
}

/** Where the agent's job directories are made. */
export const AGENT_BASE = '/home/gantry-agent';

/**
 * Make (or check) the directory job directories are made in: root's, not a link, writable by no
 * one else, so the agent (or anyone) cannot put its own directory where root later writes and
 * removes.
 */
export async function ownBase(base: string): Promise<void> {
  await mkdir(base, { recursive: true, mode: 0o711 });
  const info = await lstat(base);
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0)
    throw new Error(
      `${base} must be a directory owned by root and writable by no one else (it is ${info.isSymbolicLink() ? 'a link' : `owned by uid ${info.uid}, mode ${(info.mode & 0o777).toString(8)}`}); remove it and let the job make it`,
    );
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
