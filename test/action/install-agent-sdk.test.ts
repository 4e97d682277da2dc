import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_SDK_PIN, type AgentSdkPin } from '../../src/action/agent/agent-sdk-pin.js';
import { agentSdkLockfile, type Machine } from '../../src/action/agent/agent-sdk-lockfile.js';
import { installAgentSdk } from '../../src/action/agent/install-agent-sdk.js';
import {
  integrityOf,
  startFakeNpmRegistry,
  type FakePackage,
} from '../support/fake-npm-registry.js';

/**
 * The Agent SDK install with the real npm against a local registry that serves a tiny SDK of the
 * same shape: a main package whose optional dependencies are per-platform packages, one of them
 * for this machine. Every package has a `postinstall` that would leave a marker file.
 */
const SDK = '@anthropic-ai/claude-agent-sdk';
const HERE = `${SDK}-test-here`;
const ELSEWHERE = `${SDK}-test-elsewhere`;
const VERSION = '0.0.1-test';
const SECRETS = {
  ANTHROPIC_API_KEY: 'sk-ant-secret-key',
  GITHUB_TOKEN: 'ghs_secret_token',
  ACTIONS_RUNTIME_TOKEN: 'runtime-secret',
  NODE_AUTH_TOKEN: 'npm-secret',
};
/**
 * npm expands `${VAR}` in its settings from its own environment, so a registry address that names
 * variables shows, in the paths npm requests, exactly what npm's environment held.
 */
const PROBE =
  'probe/home=${HOME}/key=${ANTHROPIC_API_KEY}/gh=${GITHUB_TOKEN}/rt=${ACTIONS_RUNTIME_TOKEN}/npm=${NODE_AUTH_TOKEN}/';

let work: string;
let registry: Awaited<ReturnType<typeof startFakeNpmRegistry>>;
let packages: FakePackage[];
let pin: AgentSdkPin;

const marker = (name: string) => join(work, `${name.replaceAll('/', '_')}.postinstall-ran`);

function fakePackage(
  name: string,
  extra: Record<string, unknown>,
  files: Record<string, string>,
): FakePackage {
  const script = `node -e "require('fs').writeFileSync('${marker(name)}', 'ran')"`;
  return {
    manifest: { name, version: VERSION, scripts: { postinstall: script }, ...extra },
    files,
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gantry-sdk-install-'));
  const here = { os: [process.platform], cpu: [process.arch] };
  const elsewhere = { os: [process.platform === 'aix' ? 'sunos' : 'aix'], cpu: [process.arch] };
  packages = [
    fakePackage(
      SDK,
      {
        type: 'module',
        main: 'sdk.mjs',
        optionalDependencies: { [HERE]: VERSION, [ELSEWHERE]: VERSION },
      },
      {
        'sdk.mjs':
          "export async function* query() { yield { type: 'result', subtype: 'test-sdk' }; }\n",
      },
    ),
    fakePackage(HERE, here, { claude: 'the binary for this machine\n' }),
    fakePackage(ELSEWHERE, elsewhere, { claude: 'the binary for another machine\n' }),
  ];
  registry = await startFakeNpmRegistry(packages);
  // The lockfile says what npm would: each has an install script (npm runs one only if it says so).
  const pinned = (name: string) => ({
    name,
    version: VERSION,
    integrity: registry.integrity(name),
    hasInstallScript: true,
  });
  pin = {
    sdk: pinned(SDK),
    platforms: [
      { ...pinned(HERE), ...here },
      { ...pinned(ELSEWHERE), ...elsewhere },
    ],
  };
});

afterAll(async () => {
  await registry.close();
});

beforeEach(() => {
  registry.reset();
});

async function install() {
  const dir = join(await mkdtemp(join(work, 'runner-temp-')), 'claude-agent-sdk');
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    ...SECRETS,
    npm_config_registry: `${registry.url}${PROBE}`,
  };
  return { dir, sdk: installAgentSdk(dir, { pin, env }) };
}

describe('installing the Agent SDK', () => {
  it('installs the pinned packages, only the platform package for this machine, and loads the SDK', async () => {
    const { dir, sdk } = await install();
    const messages = [];
    for await (const message of (await sdk).query({ prompt: 'p', options: {} }))
      messages.push(message);
    expect(messages).toEqual([{ type: 'result', subtype: 'test-sdk' }]);
    expect(existsSync(join(dir, 'node_modules', HERE, 'claude'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', ELSEWHERE))).toBe(false);
    expect(registry.requests.some((r) => r.endsWith(`/-tarball/${ELSEWHERE}`))).toBe(false);
  });

  it('runs no install script', async () => {
    await (
      await install()
    ).sdk;
    for (const p of packages) expect(existsSync(marker(p.manifest.name))).toBe(false);
  });

  it('gives npm no secret: only PATH, a home of its own and the registry setting', async () => {
    const { dir, sdk } = await install();
    await sdk;
    const metadata = registry.requests.filter((r) => r.startsWith('/probe/'));
    expect(metadata.length).toBeGreaterThan(0);
    for (const path of metadata)
      expect(path).toContain(
        `/probe/home=${join(dir, '.npm-home')}/key=\${ANTHROPIC_API_KEY}/gh=\${GITHUB_TOKEN}/rt=\${ACTIONS_RUNTIME_TOKEN}/npm=\${NODE_AUTH_TOKEN}/`,
      );
    for (const secret of Object.values(SECRETS))
      expect(registry.requests.join('\n')).not.toContain(secret);
  });

  it.each([
    ['the SDK', SDK],
    ['its platform package', HERE],
  ])(
    'refuses %s when the registry serves other bytes, naming the package and both hashes',
    async (_, name) => {
      const original = packages.find((p) => p.manifest.name === name)!;
      const tampered = await registry.pack({
        ...original,
        files: Object.fromEntries(Object.keys(original.files).map((f) => [f, 'tampered\n'])),
      });
      registry.serve(name, tampered);
      const { dir, sdk } = await install();
      const error = await sdk.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toContain(`refused to install ${name}@${VERSION}`);
      expect(error?.message).toContain(`integrity ${integrityOf(tampered)}`);
      expect(error?.message).toContain(`pins ${registry.integrity(name)}`);
      expect(existsSync(join(dir, 'node_modules', SDK, 'sdk.mjs'))).toBe(false);
    },
  );
});

describe('the production pin', () => {
  const linux: Machine = { platform: 'linux', arch: 'x64', libc: 'glibc' };
  const entriesFor = (machine: Machine) =>
    (
      agentSdkLockfile(AGENT_SDK_PIN, machine).packageLock as {
        packages: Record<string, Record<string, unknown>>;
      }
    ).packages;

  it('pins the SDK and every platform package it lists by sha512, at one version', () => {
    const entries = entriesFor(linux);
    const sdk = entries[`node_modules/${SDK}`]!;
    const platforms = Object.keys(sdk.optionalDependencies as object);
    expect(platforms).toHaveLength(8);
    for (const name of [SDK, ...platforms]) {
      const entry = entries[`node_modules/${name}`]!;
      expect(entry.integrity).toMatch(/^sha512-[\w+/]{86}==$/);
      expect(entry.version).toBe(AGENT_SDK_PIN.sdk.version);
    }
  });

  it.each<[Machine, string]>([
    [linux, 'linux-x64'],
    [{ platform: 'linux', arch: 'x64', libc: 'musl' }, 'linux-x64-musl'],
    [{ platform: 'linux', arch: 'arm64', libc: 'glibc' }, 'linux-arm64'],
    [{ platform: 'darwin', arch: 'arm64' }, 'darwin-arm64'],
    [{ platform: 'win32', arch: 'x64' }, 'win32-x64'],
  ])('makes the binary for %o a direct dependency, the others optional', (machine, suffix) => {
    const entries = entriesFor(machine);
    const binary = `${SDK}-${suffix}`;
    expect(entries['']!.dependencies).toEqual({
      [SDK]: AGENT_SDK_PIN.sdk.version,
      [binary]: AGENT_SDK_PIN.sdk.version,
    });
    for (const p of AGENT_SDK_PIN.platforms)
      expect(entries[`node_modules/${p.name}`]!.optional).toBe(
        p.name === binary ? undefined : true,
      );
  });

  it('names the platforms it has when none fits the machine', () => {
    expect(() => agentSdkLockfile(AGENT_SDK_PIN, { platform: 'freebsd', arch: 'x64' })).toThrow(
      /no binary for freebsd-x64: @anthropic-ai\/claude-agent-sdk@[\d.]+ ships .*-linux-x64, .*use the anthropic backend/,
    );
  });
});
