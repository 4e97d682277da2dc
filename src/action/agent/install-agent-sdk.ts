import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { agentSdkLockfile, thisMachine } from './agent-sdk-lockfile.js';
import { AGENT_SDK_PIN, type AgentSdkPin } from './agent-sdk-pin.js';
import type { AgentSdk } from './claude-code-backend.js';

export interface InstallAgentSdkOptions {
  /** What to install; production installs {@link AGENT_SDK_PIN}, tests a package of their own. */
  pin?: AgentSdkPin;
  /** Where `PATH` and the npm registry setting are read from (nothing else is passed on). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Install the pinned Claude Agent SDK into `dir` and load it, before the agent runs.
 *
 * `npm ci` from a lockfile written here, rather than fetching and unpacking tarballs ourselves:
 * npm checks every tarball against the lockfile's `integrity` (and refuses a registry that
 * advertises another), lays out `node_modules` as the SDK looks for its binary, and honours the
 * runner's registry mirror, all without a tar implementation in the bundle. Only the platform
 * package for this machine is fetched (see {@link agentSdkLockfile}).
 * `--ignore-scripts` keeps the packages' install scripts from running, and npm gets an environment
 * with no secret in it, so not even a tampered package could read the key while installing.
 */
export async function installAgentSdk(
  dir: string,
  options: InstallAgentSdkOptions = {},
): Promise<AgentSdk> {
  const pin = options.pin ?? AGENT_SDK_PIN;
  const { packageJson, packageLock } = agentSdkLockfile(pin, thisMachine());
  // A fresh directory: nothing left from an earlier job (an .npmrc, a node_modules) takes part.
  await rm(dir, { recursive: true, force: true });
  const home = join(dir, '.npm-home');
  await mkdir(home, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify(packageJson, null, 2));
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify(packageLock, null, 2));
  try {
    await promisify(execFile)(
      'npm',
      [
        'ci',
        '--ignore-scripts',
        // The SDK's peers (@anthropic-ai/sdk, @modelcontextprotocol/sdk, zod) serve in-process MCP
        // servers, which Gantry does not use; its `query` needs only Node's built-ins.
        '--legacy-peer-deps',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
      ],
      {
        cwd: dir,
        env: npmInstallEnv(options.env ?? process.env, home),
        maxBuffer: 64 * 1024 * 1024,
      },
    );
  } catch (e) {
    throw installError(pin, (e as { stderr?: string }).stderr ?? (e as Error).message);
  }
  return (await import(
    pathToFileURL(join(dir, 'node_modules', pin.sdk.name, 'sdk.mjs')).href
  )) as AgentSdk;
}

/**
 * npm's environment: its program path, a home of its own (so no user `.npmrc` with a token), and
 * how to reach the registry: its address and the certificate authorities to trust (file paths,
 * not secrets; a runner behind a TLS-inspecting proxy needs them).
 */
function npmInstallEnv(env: NodeJS.ProcessEnv, home: string): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH ?? '/usr/bin:/bin', HOME: home };
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && REGISTRY_SETTING.test(name)) out[name] = value;
  return out;
}

const REGISTRY_SETTING = /^(npm_config_((@[\w.-]+:)?registry|cafile)|NODE_EXTRA_CA_CERTS)$/i;

function installError(pin: AgentSdkPin, stderr: string): Error {
  const mismatch = /wanted (sha512-[\w+/=]+) but got (sha512-[\w+/=]+)/.exec(stderr);
  if (mismatch) {
    const [, expected = '', actual = ''] = mismatch;
    const p = [pin.sdk, ...pin.platforms].find((q) => q.integrity === expected);
    const what = p ? `${p.name}@${p.version}` : 'a package of the Agent SDK';
    return new Error(
      `refused to install ${what}: the npm registry serves it with integrity ${actual}, but Gantry ` +
        `pins ${expected} (src/action/agent/agent-sdk-pin.ts). A published version never changes, ` +
        'so the registry or a mirror set by npm_config_registry is serving other bytes; nothing ' +
        'was run. Point the runner at the public registry or fix the mirror.',
    );
  }
  const tail = stderr.trim().split('\n').slice(-8).join('\n');
  return new Error(
    `could not install ${pin.sdk.name}@${pin.sdk.version} for the claude-code backend; npm ci ` +
      `said:\n${tail}`,
  );
}
