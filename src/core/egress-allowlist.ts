/**
 * Where the agent's network may go. The agent's processes have no interface but loopback; their
 * only way out is a filtering proxy that lets through the destinations of this list (and the
 * job's LLM gateway). An entry is `host`, `host:port`, `*.suffix` (any subdomain, not the suffix
 * itself) or `*.suffix:port`; without a port it allows 443 (HTTPS) and 80 (HTTP, which package
 * managers use for redirects only). IPv4 literals are entries like any host.
 */
export interface AllowEntry {
  /** Lower-case host, or the suffix after `*.` when `subdomains`. */
  host: string;
  subdomains: boolean;
  /** The one port allowed; undefined: 443 and 80. */
  port?: number;
}

/**
 * Registries and download hosts of the common package managers (npm and yarn, pip, cargo, Go
 * modules, RubyGems, Maven and Gradle, NuGet), so installing a repository's declared
 * dependencies works out of the box. GitHub itself is not on the list: a git dependency fetched
 * from GitHub is also a way to reach any repository there, so a repository that needs it says so.
 */
export const DEFAULT_EGRESS_ALLOW: readonly string[] = [
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'pypi.org',
  'files.pythonhosted.org',
  'crates.io',
  'static.crates.io',
  'index.crates.io',
  'proxy.golang.org',
  'sum.golang.org',
  'rubygems.org',
  'index.rubygems.org',
  'repo.maven.apache.org',
  'repo1.maven.org',
  'plugins.gradle.org',
  'services.gradle.org',
  'api.nuget.org',
];

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** One entry parsed, or an error that names the entry and says what form is expected. */
export function parseAllowEntry(text: string): AllowEntry {
  const raw = text.trim().toLowerCase();
  const fail = (why: string): never => {
    throw new Error(
      `network.allow entry "${text}": ${why}; write a host name (registry.example.com), optionally with a port (registry.example.com:8443), or *.example.com for its subdomains`,
    );
  };
  if (!raw) fail('it is empty');
  if (/[/\s@]/.test(raw)) fail('it must be a host, not a URL or a path');
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(raw)!;
  const name = m[1]!;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) fail('the port must be 1 to 65535');
  const subdomains = name.startsWith('*.');
  const host = subdomains ? name.slice(2) : name;
  if (host.includes('*')) fail('a wildcard is allowed only as the first label (*.example.com)');
  if (host.length > 253 || !host.split('.').every((label) => LABEL.test(label)))
    fail('it is not a valid host name');
  if (subdomains && !host.includes('.')) fail('a wildcard needs at least two labels after it');
  return { host, subdomains, ...(port !== undefined ? { port } : {}) };
}

/** Parse a whole list; every bad entry is named in one error. */
export function parseAllowList(entries: readonly string[]): AllowEntry[] {
  const problems: string[] = [];
  const out: AllowEntry[] = [];
  for (const e of entries)
    try {
      out.push(parseAllowEntry(e));
    } catch (err) {
      problems.push((err as Error).message);
    }
  if (problems.length) throw new Error(problems.join('\n'));
  return out;
}

/** Whether `host:port` is a destination the list allows (host names compare case-insensitively). */
export function isAllowed(allow: readonly AllowEntry[], host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allow.some((e) => {
    const portOk = e.port === undefined ? port === 443 || port === 80 : port === e.port;
    const hostOk = e.subdomains ? h.endsWith(`.${e.host}`) : h === e.host;
    return portOk && hostOk;
  });
}
