import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { DemoError } from './demo-error.js';
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
}

/** A file as committed at the local repository's HEAD (what the copy holds), if it is there. */
function committed(repo: string, path: string): string | undefined {
  try {
    return execFileSync('git', ['-C', repo, 'show', `HEAD:${path}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

/** The local repository's test command: `ci`, or `npm test` when its package.json has one. */
function ciCommand(repo: string, given: string | undefined): string {
  if (given) return given;
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
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).length;
    if (!deps) return 'npm test';
    const lock = committed(repo, 'package-lock.json') !== undefined;
    return `${lock ? 'npm ci' : 'npm install'} --ignore-scripts --no-audit --no-fund && npm test`;
  }
  throw new DemoError(
    `${repo} has no \`npm test\`: say how to run its tests with --ci "<command>" (CI judges every task by it).`,
  );
}

/**
 * The copy's `.github/gantry.yml`: the repository's own (rules, blocked paths kept) with the
 * agent and the test command set for this run.
 */
function configFor(repo: string, agent: Record<string, string>, testCommand: string): string {
  const own = committed(repo, '.github/gantry.yml');
  let config: Record<string, unknown>;
  try {
    config = (own ? parse(own) : {}) as Record<string, unknown>;
  } catch (e) {
    throw new DemoError(`${repo}: .github/gantry.yml is not YAML (${(e as Error).message}).`);
  }
  return stringify({
    ...config,
    agent: { ...(config.agent as object | undefined), ...agent },
    testCommand,
  });
}

const workflowFile = () =>
  readFileSync(join(GANTRY_DIR, '.github/workflows/gantry-task.yml'), 'utf8');

/** --repo, --goal and --ci, which only make sense together. */
export function checkDemoRepo(o: DemoRepoOptions): void {
  if (o.repo && !existsSync(join(resolve(o.repo), '.git')))
    throw new DemoError(`${o.repo} is not a git repository (no .git there).`);
  if (o.repo && committed(resolve(o.repo), '') === undefined)
    throw new DemoError(
      `${o.repo} has no commits yet: commit something first (the copy takes HEAD).`,
    );
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
    const source = resolve(o.repo);
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
        '.github/gantry.yml': configFor(source, agent, ci),
      },
      { roles, ci, secrets },
    );
    print(`Repository: a copy of ${source} (committed work only; the original is not changed).`);
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
