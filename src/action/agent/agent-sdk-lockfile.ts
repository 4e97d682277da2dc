import type { AgentSdkPin, PinnedPackage } from './agent-sdk-pin.js';

/** What npm matches a platform package's `os`, `cpu` and `libc` against. */
export interface Machine {
  platform: string;
  arch: string;
  /** `glibc` or `musl` on Linux, undefined elsewhere. */
  libc?: string;
}

/** This machine, told apart as npm and the SDK do (musl is a Linux without a glibc version). */
export function thisMachine(): Machine {
  if (process.platform !== 'linux') return { platform: process.platform, arch: process.arch };
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } })
    .header;
  return {
    platform: process.platform,
    arch: process.arch,
    libc: header?.glibcVersionRuntime ? 'glibc' : 'musl',
  };
}

const fits = (allowed: string[] | undefined, value: string | undefined) =>
  !allowed || (value !== undefined && allowed.includes(value));

/**
 * The package.json and lockfile (v3) that make `npm ci` install exactly the pinned packages.
 * The platform package for `machine` is a direct dependency, not only the SDK's optional one:
 * npm skips an optional package whose integrity fails, which would leave the SDK without its
 * binary and the refusal unexplained; a direct dependency makes the refusal an error.
 */
export function agentSdkLockfile(
  pin: AgentSdkPin,
  machine: Machine,
): { packageJson: Record<string, unknown>; packageLock: Record<string, unknown> } {
  const binary = pin.platforms.find(
    (p) => fits(p.os, machine.platform) && fits(p.cpu, machine.arch) && fits(p.libc, machine.libc),
  );
  if (!binary)
    throw new Error(
      `the claude-code backend has no binary for ${machine.platform}-${machine.arch}` +
        `${machine.libc ? ` (${machine.libc})` : ''}: ${pin.sdk.name}@${pin.sdk.version} ships ` +
        `${pin.platforms.map((p) => p.name).join(', ')}. Run the agent job on one of those ` +
        'platforms, or use the anthropic backend.',
    );
  const name = 'gantry-agent-sdk';
  const dependencies = { [pin.sdk.name]: pin.sdk.version, [binary.name]: binary.version };
  const entry = (p: PinnedPackage) => ({
    version: p.version,
    integrity: p.integrity,
    ...(p.os ? { os: p.os } : {}),
    ...(p.cpu ? { cpu: p.cpu } : {}),
    ...(p.libc ? { libc: p.libc } : {}),
    ...(p.hasInstallScript ? { hasInstallScript: true } : {}),
  });
  const packages: Record<string, unknown> = {
    '': { name, dependencies },
    [`node_modules/${pin.sdk.name}`]: {
      ...entry(pin.sdk),
      optionalDependencies: Object.fromEntries(pin.platforms.map((p) => [p.name, p.version])),
    },
  };
  // The other platforms stay in the lockfile as npm writes it, optional, so npm skips them.
  for (const p of pin.platforms)
    packages[`node_modules/${p.name}`] = p === binary ? entry(p) : { ...entry(p), optional: true };
  return {
    packageJson: { name, private: true, dependencies },
    packageLock: { name, lockfileVersion: 3, requires: true, packages },
  };
}
