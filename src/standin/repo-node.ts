import { execFile } from 'node:child_process';
import { access, constants, readdir, readFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { nodeMatches } from './node-range.js';

/** The Node CI runs on, and the line that says so in its log. */
export interface RepoNode {
  /** The `node` to put first on CI's PATH (undefined: the repository is no Node project). */
  bin: string | undefined;
  /** What the CI log says about it (empty when nothing is to be said). */
  line: string;
}

type Env = Record<string, string | undefined>;

/**
 * The Node a repository's CI runs on, as its own CI would pick it: the version it declares
 * (`.nvmrc`, then `.node-version`, then `engines.node` in `package.json`) when that version is
 * installed on this machine (the user's `node` on PATH first, then nvm, fnm, n, asdf, Volta and
 * nodenv installations), otherwise the user's `node` on PATH. Never Gantry's own Node without
 * saying so: `npm run demo` puts Gantry's `node_modules/.bin` (with its Node 24) on PATH, and
 * `userPath` leaves that out.
 */
export async function repoNode(dir: string, env: Env): Promise<RepoNode> {
  const declared = await declaredNode(dir);
  const isNode = declared !== undefined || (await exists(join(dir, 'package.json')));
  if (!isNode) return { bin: undefined, line: '' };
  const path = userPath(env.PATH);
  const own = await firstOnPath('node', path);
  const ownVersion = own && (await versionOf(own));
  if (declared) {
    if (own && ownVersion && nodeMatches(ownVersion, declared.spec))
      return {
        bin: own,
        line: `Node ${ownVersion} (${own}, your node on PATH): ${declared.from} asks for ${declared.spec}.`,
      };
    const match = (await installed(env))
      .filter((n) => nodeMatches(n.version, declared.spec))
      .sort((a, b) => compare(b.version, a.version))[0];
    if (match)
      return {
        bin: match.bin,
        line: `Node ${match.version} (${match.bin}): ${declared.from} asks for ${declared.spec}.`,
      };
    if (own && ownVersion)
      return {
        bin: own,
        line: `Node ${ownVersion} (${own}, your node on PATH): ${declared.from} asks for ${declared.spec}, which is not installed on this machine.`,
      };
  } else if (own && ownVersion)
    return {
      bin: own,
      line: `Node ${ownVersion} (${own}, your node on PATH): the repository declares no version.`,
    };
  return {
    bin: process.execPath,
    line: `Node ${process.version} (${process.execPath}, Gantry's own): no node on your PATH${declared ? `, and ${declared.from} asks for ${declared.spec}, which is not installed` : ''}.`,
  };
}

/** PATH without what `npm run` put first: `node_modules/.bin` folders and npm's node-gyp-bin. */
export function userPath(path: string | undefined): string[] {
  return (path ?? '/usr/bin:/bin')
    .split(delimiter)
    .filter(
      (d) => d && !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(d) && !/node-gyp-bin[\\/]?$/.test(d),
    );
}

async function declaredNode(dir: string): Promise<{ spec: string; from: string } | undefined> {
  for (const file of ['.nvmrc', '.node-version']) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => undefined);
    const spec = text
      ?.split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .find(Boolean);
    if (spec) return { spec, from: file };
  }
  const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const spec = (JSON.parse(text) as { engines?: { node?: unknown } }).engines?.node;
    return typeof spec === 'string' && spec.trim()
      ? { spec: spec.trim(), from: 'engines.node in package.json' }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Node installations of the version managers people use, by version. */
async function installed(env: Env): Promise<{ version: string; bin: string }[]> {
  const home = env.HOME ?? '';
  const places: [root: string, bin: (version: string) => string][] = [
    [join(env.NVM_DIR ?? join(home, '.nvm'), 'versions/node'), (v) => join(v, 'bin/node')],
    ...[env.FNM_DIR, join(home, '.local/share/fnm'), join(home, '.fnm')]
      .filter((d): d is string => !!d)
      .map((d): [string, (v: string) => string] => [
        join(d, 'node-versions'),
        (v) => join(v, 'installation/bin/node'),
      ]),
    [join(env.N_PREFIX ?? '/usr/local', 'n/versions/node'), (v) => join(v, 'bin/node')],
    [join(env.ASDF_DATA_DIR ?? join(home, '.asdf'), 'installs/nodejs'), (v) => join(v, 'bin/node')],
    [join(env.VOLTA_HOME ?? join(home, '.volta'), 'tools/image/node'), (v) => join(v, 'bin/node')],
    [join(env.NODENV_ROOT ?? join(home, '.nodenv'), 'versions'), (v) => join(v, 'bin/node')],
  ];
  const found: { version: string; bin: string }[] = [];
  for (const [root, bin] of places) {
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(root, bin(name));
      if (/^v?\d+\.\d+\.\d+$/.test(name) && (await exists(path, constants.X_OK)))
        found.push({ version: name.startsWith('v') ? name : `v${name}`, bin: path });
    }
  }
  return found;
}

async function firstOnPath(name: string, path: string[]): Promise<string | undefined> {
  for (const dir of path) {
    const candidate = join(dir, name);
    if (await exists(candidate, constants.X_OK)) return candidate;
  }
  return undefined;
}

async function versionOf(node: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(node, ['--version'], { timeout: 10_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false,
  );
}

function compare(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The PATH CI runs with: the chosen Node's folder first, then the user's PATH. */
export function ciPath(node: string | undefined, path: string | undefined): string {
  const dirs = userPath(path);
  return (node ? [dirname(node), ...dirs.filter((d) => d !== dirname(node))] : dirs).join(
    delimiter,
  );
}
