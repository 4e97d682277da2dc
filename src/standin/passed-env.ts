/**
 * What a proxy or a custom certificate authority needs, passed to CI and jobs by default: a
 * machine behind a corporate proxy reaches nothing without them. Both cases of the proxy
 * variables, as tools read either (curl only the lower-case `http_proxy`).
 */
export const PROXY_AND_CA = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
] as const;

/** The variables of `from` with these names that are set. */
export function passedEnv(
  names: readonly string[],
  from: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of names) if (from[k] !== undefined) env[k] = from[k];
  return env;
}
