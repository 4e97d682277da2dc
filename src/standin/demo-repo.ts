import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { DemoError } from './demo-error.js';
import { ownTestCommand } from './demo-inputs.js';
import {
  BREAKS_TESTS,
  GANTRY_DIR,
  SAMPLE_CI,
  SAMPLE_REPO,
  sampleAgent,
  sampleFiles,
  scriptedAgentCommand,
} from './sample.js';
import type { StandIn } from './stand-in.js';
import type { StoredRepo } from './store.js';

/** The demo's options about the repository it runs on (see `DemoOptions`). */
export interface DemoRepoOptions {
  anthropicKey?: string | undefined;
  repo?: string | undefined;
  goal?: string | undefined;
  ci?: string | undefined;
  /** Where relative paths start: the caller's directory (npm's INIT_CWD for `npm run`). */
  cwd?: string | undefined;
}

/** A path given on the command line, from the caller's directory. */
export const fromCaller = (o: { cwd?: string | undefined }, path: string) =>
  resolve(o.cwd ?? process.cwd(), path);

/** git in the local repository, its output; undefined when git fails. */
function gitIn(repo: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', repo, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

/** A file as committed at the local repository's HEAD (what the copy holds), if it is there. */
function committed(repo: string, path: string): string | undefined {
  return gitIn(repo, ['show', `HEAD:${path}`]);
}

/** The command CI runs on every landing, and where it came from, as the demo says it. */
interface CiSource {
  command: string;
  from: string;
}

/**
 * The local repository's test command: `--ci`, else the testCommand of its own committed
 * `.github/gantry.yml`, else `npm test` when its package.json has a test script.
 */
function ciCommand(repo: string, given: string | undefined): CiSource {
  if (given) return { command: given, from: 'given with --ci' };
  const own = ownTestCommand(repo);
  if (own) return { command: own, from: "the testCommand of the repository's .github/gantry.yml" };
  const pkg = committed(repo, 'package.json');
  let manifest:
    | { scripts?: Record<string, string>; dependencies?: object; devDependencies?: object }
    | undefined;
  try {
    manifest = pkg === undefined ? undefined : (JSON.parse(pkg) as typeof manifest);
  } catch (e) {
    throw new DemoError(`${repo}: package.json is not JSON (${(e as Error).message}); give --ci.`);
  }
  if (manifest?.scripts?.test) {
    const script = "the test script of the repository's package.json";
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).length;
    if (!deps) return { command: 'npm test', from: script };
    const lock = committed(repo, 'package-lock.json') !== undefined;
    return {
      command: `${lock ? 'npm ci' : 'npm install'} --ignore-scripts --no-audit --no-fund && npm test`,
      from: `${script}, after its dependencies are installed ${lock ? 'from its package-lock.json' : '(it has no package-lock.json)'}`,
    };
  }
  throw new DemoError(
    `${repo} has no \`npm test\` and no testCommand in .github/gantry.yml: say how to run its tests with --ci "<command>" (CI judges every task by it).`,
  );
}

/**
 * What CI runs and where that came from; and, when the repository has workflows of its own,
 * that they do not run: the stand-in's CI is this one command, not the repository's Actions.
 */
function ciLine(ci: CiSource, repo: string | undefined): string {
  const own = repo
    ? (gitIn(repo, ['ls-tree', '--name-only', 'HEAD', '.github/workflows/'])
        ?.split('\n')
        // Gantry's own task workflow, if installed, is replaced by the copy's and does run.
        .filter((f) => f && !f.endsWith('/gantry-task.yml')) ?? [])
    : [];
  return `CI runs \`${ci.command}\`: ${ci.from}.${own.length ? ` The repository's own workflows (${own.join(', ')}) do not run: the stand-in's CI is this one command.` : ''}`;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The copy's `.github/gantry.yml`: the repository's own (rules, blocked paths kept) with the
 * agent and the test command set for this run. A file that is not a YAML mapping, or whose
 * `agent` is not one, is kept as it is: the App says what is wrong with it, as on GitHub.
 */
function configFor(repo: string, agent: Record<string, string>, testCommand: string): string {
  const own = committed(repo, '.github/gantry.yml');
  let config: unknown;
  try {
    config = own === undefined ? {} : (parse(own) ?? {});
  } catch {
    return own!;
  }
  if (!isMap(config) || !(config.agent === undefined || isMap(config.agent))) return own!;
  return stringify({ ...config, agent: { ...config.agent, ...agent }, testCommand });
}

const workflowFile = () =>
  readFileSync(join(GANTRY_DIR, '.github/workflows/gantry-task.yml'), 'utf8');

/** --repo: a path that exists, the top of a git work tree with a commit; a DemoError if not. */
function checkRepoPath(o: DemoRepoOptions, given: string): void {
  const path = fromCaller(o, given);
  if (!existsSync(path)) throw new DemoError(`--repo: ${path} does not exist.`);
  if (!existsSync(join(path, '.git'))) {
    const top = gitIn(path, ['rev-parse', '--show-toplevel'])?.trim();
    throw new DemoError(
      top
        ? `--repo: ${path} is inside the git repository ${top}, not its top: give --repo ${top}.`
        : `--repo: ${path} is not a git repository (no .git there).`,
    );
  }
  if (committed(path, '') === undefined)
    throw new DemoError(
      `--repo: ${path} has no commits yet: commit something first (the copy takes HEAD).`,
    );
}

/** --repo, --goal and --ci, which only make sense together. */
export function checkDemoRepo(o: DemoRepoOptions): void {
  if (o.repo) checkRepoPath(o, o.repo);
  if (o.repo && !o.goal?.trim())
    throw new DemoError('--repo needs --goal "<text>": what should Gantry do in your repository?');
  if (o.goal !== undefined && !o.goal.trim()) throw new DemoError('--goal is empty.');
  if (o.ci && !o.repo)
    throw new DemoError('--ci is for --repo: the sample repository has its own test command.');
}

/** The repository the goal runs on: a copy of --repo, or the sample; said as it is made. */
export async function setUpDemoRepo(
  standIn: StandIn,
  o: DemoRepoOptions,
  d: { live: boolean; agentScript: string | undefined },
  work: string,
  print: (line: string) => void,
): Promise<StoredRepo> {
  const secrets: Record<string, string> = d.live ? { ANTHROPIC_API_KEY: o.anthropicKey! } : {};
  const roles = { maint: 'maintain' as const };
  const isolation = demoIsolation(print);
  if (o.repo) {
    const source = fromCaller(o, o.repo);
    const name = basename(source).replace(/[^\w.-]/g, '-') || 'repo';
    const ci = ciCommand(source, o.ci);
    const agent: Record<string, string> = {
      ...(d.agentScript
        ? { backend: 'command', command: scriptedAgentCommand(d.agentScript) }
        : { backend: 'anthropic' }),
      ...isolation,
    };
    const repo = await standIn.importRepo(
      `local/${name}`,
      source,
      {
        '.github/workflows/gantry-task.yml': workflowFile(),
        '.github/gantry.yml': configFor(source, agent, ci.command),
      },
      { roles, ci: ci.command, secrets },
    );
    const head = gitIn(source, ['rev-parse', '--short', 'HEAD'])?.trim();
    const detached = gitIn(source, ['symbolic-ref', '--quiet', 'HEAD']) === undefined;
    print(
      `Repository: a copy of ${source} at ${head}, ${detached ? `detached HEAD (the copy's default branch: ${repo.defaultBranch})` : `branch ${repo.defaultBranch}`} (committed work only; the original is not changed).`,
    );
    if (gitIn(source, ['status', '--porcelain', '--untracked-files=no'])?.trim())
      print('Uncommitted changes in it are not in the copy: commit them to include them.');
    print(ciLine(ci, source));
    return repo;
  }
  // The scripted agent's first try at T2 breaks a test, so the demo shows CI at work.
  const agent = sampleAgent();
  agent.T2 = [BREAKS_TESTS, ...agent.T2!];
  const script = d.agentScript ?? join(work, 'agent.json');
  if (!d.agentScript) writeFileSync(script, JSON.stringify(agent));
  const files = sampleFiles(scriptedAgentCommand(script));
  const config = parse(files['.github/gantry.yml']) as { agent: Record<string, string> };
  if (d.live) config.agent = { backend: 'anthropic' };
  Object.assign(config.agent, isolation);
  files['.github/gantry.yml'] = stringify(config);
  const repo = await standIn.addRepo(SAMPLE_REPO, files, { roles, ci: SAMPLE_CI, secrets });
  print(`Repository: ${SAMPLE_REPO}, a small greeting library with a real test suite.`);
  print(ciLine({ command: SAMPLE_CI, from: "the sample repository's test command" }, undefined));
  return repo;
}

/**
 * The agent jobs run on this machine as they would on a hosted runner: contained, which needs
 * root. Started by another user, the demo says so and runs its agents unisolated (the plan
 * comment then says so too).
 */
function demoIsolation(print: (line: string) => void): { isolation?: 'unisolated' } {
  if (process.getuid?.() === 0) return {};
  print(
    'Agents run unisolated: containing them (a user of their own, namespaces) needs root, and this demo runs as another user.',
  );
  return { isolation: 'unisolated' };
}
