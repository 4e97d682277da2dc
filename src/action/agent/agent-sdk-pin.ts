/** One package of the install, pinned to the bytes the npm registry published for it. */
export interface PinnedPackage {
  name: string;
  version: string;
  /** The registry's `dist.integrity` for exactly this version (`sha512-<base64>`). */
  integrity: string;
  /** npm installs a platform package only where these match (`os`, `cpu`, `libc` as npm reads them). */
  os?: string[];
  cpu?: string[];
  libc?: string[];
  /** Whether it has an install script (npm then records that in the lockfile); none is run. */
  hasInstallScript?: boolean;
}

/** The Agent SDK and the platform packages that carry its binary, one of which npm installs. */
export interface AgentSdkPin {
  sdk: PinnedPackage;
  platforms: PinnedPackage[];
}

const VERSION = '0.3.330';

function platform(
  suffix: string,
  integrity: string,
  target: Pick<PinnedPackage, 'os' | 'cpu' | 'libc'>,
): PinnedPackage {
  return {
    name: `@anthropic-ai/claude-agent-sdk-${suffix}`,
    version: VERSION,
    integrity,
    ...target,
  };
}

/**
 * The Agent SDK the Action installs at run time (it ships a platform binary, so it is never bundled).
 * To move to another version, take every value from the registry:
 * `npm view @anthropic-ai/claude-agent-sdk@<v> dist.integrity optionalDependencies scripts --json`,
 * then `npm view @anthropic-ai/claude-agent-sdk-<platform>@<v> dist.integrity os cpu libc scripts
 * --json` for each platform package it lists (0.3.330 has no install scripts).
 */
export const AGENT_SDK_PIN: AgentSdkPin = {
  sdk: {
    name: '@anthropic-ai/claude-agent-sdk',
    version: VERSION,
    integrity:
      'sha512-7om9Xus6tfkeCUCfzg6ilJuN6Z7okkEvJ0mx+ukXa/Id5U/6BGtPkOYni+3ebedwa3b9SVF7A05+ln+/9EoU/w==',
  },
  platforms: [
    platform(
      'linux-x64',
      'sha512-9w4uMdA3vNZXocwOUhivOGotXoRDxN/C/xPMkZMY9WPpKLAlj8upMZskNgPjQKlVRXhxPfNagcBijGPUH4WepA==',
      { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
    ),
    platform(
      'linux-arm64',
      'sha512-2Q+kfzaoTvJv1rsyu+iR4UHDZ3nxiOfdXISk+2ydQShU9DqXNlgQAt3BdJMh0Yx4MrxB66TMphVvVQeRslwwhA==',
      { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
    ),
    platform(
      'linux-x64-musl',
      'sha512-kooZMdp6tFwNFkDXbGoNTZMgFcPQfJVfG+gZ2qAdkk11S6MFts9ybHRLQmzUK3VrqlahH7T9fmI2mNfzYgOXkw==',
      { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
    ),
    platform(
      'linux-arm64-musl',
      'sha512-fXmuAEegw31v+kiBd51yn7RVhjs7Rz2lnhfx/+XJXqt5lyqR2v7Ul/U/9r1CQZKuIw8M3ms9jQqGpmKbgKndqQ==',
      { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
    ),
    platform(
      'darwin-x64',
      'sha512-woe+f9qeZYWML5fACibNyth0xMDf22riNRNDryIYuhdteh7IoWrK6zC31cC2MrZRoqDZcPVtfOLND79+iZbrLA==',
      { os: ['darwin'], cpu: ['x64'] },
    ),
    platform(
      'darwin-arm64',
      'sha512-J9nqvcfD2V90O5uoR8At66R51VYtSMKnxSmPc0S4A4F5oX1VbokcpJLXU1yVCOuTtzr/OIHjRr9nn2vKi/S6rQ==',
      { os: ['darwin'], cpu: ['arm64'] },
    ),
    platform(
      'win32-x64',
      'sha512-ooThWbUXlXKTDgj2VgWBXQ/6vSOTaAbBDWPvvCGNHi20haoSkw4uPX9gczkX+HJuVTslvvLiYIfe8zleVPzi7A==',
      { os: ['win32'], cpu: ['x64'] },
    ),
    platform(
      'win32-arm64',
      'sha512-6jscch7vk/XBSn7mm1i6zwTeiz05q98nKrQ3HdTavQEDGvXycMcB/QxIdMrs3vrdNEjWuoxwrL1qlT1lOyAWLg==',
      { os: ['win32'], cpu: ['arm64'] },
    ),
  ],
};
