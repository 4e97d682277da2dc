/** Variables that carry credentials on an Actions runner (and every input, which may hold a token). */
const SECRET_NAMES = new Set([
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  // The runner's upstream address is the gateway's business; the agent gets the gateway's.
  'ANTHROPIC_BASE_URL',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_URL',
]);
const SECRET_PATTERN =
  /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL|_KEY$|_PAT$|(^|_)AUTH(_|$))/i;

/**
 * The environment for the agent's commands and for criteria commands: the runner's own
 * variables minus every credential, so nothing the agent runs can read a key or a token.
 */
export function safeEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (SECRET_NAMES.has(name) || name.startsWith('INPUT_') || SECRET_PATTERN.test(name)) continue;
    out[name] = value;
  }
  return out;
}
