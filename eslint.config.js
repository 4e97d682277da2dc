// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that do I/O, or that would let the pure core reach the network, disk or processes. */
export const impureModules = [
  'probot',
  'nock',
  'undici',
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'child_process',
  'node:child_process',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'os',
  'node:os',
  'dns',
  'node:dns',
  'worker_threads',
  'node:worker_threads',
];
export const impurePatterns = ['@octokit/*', '@actions/*', '@anthropic-ai/*'];

/**
 * The layers of src (DESIGN.md, Layers) and the other layers each may import: dependencies point
 * inward. The Action shares only src/llm with the planner, so its bundle carries no planner.
 * The stand-in and the simulator drive the others and none of them imports these two.
 * @type {Record<string, readonly string[]>}
 */
export const layers = {
  core: [],
  llm: ['core'],
  planner: ['core', 'llm'],
  app: ['core', 'llm', 'planner'],
  action: ['core', 'llm'],
  standin: ['core', 'llm', 'planner', 'app', 'action', 'sim'],
  sim: ['core', 'llm', 'planner', 'app', 'action', 'standin'],
};

/**
 * What keeps `layer` off the layers it may not import, at any depth of relative import.
 * In the patterns `.*` anchors on a relative specifier (`.` or `..`) and `**` spans any folders,
 * so `../../app/config.js` from src/core/checklist is caught and `@octokit/app/x` is not.
 * `no-restricted-imports` does not look at `import()`, so a selector covers it.
 */
function layerRules(/** @type {string} */ layer) {
  const allowed = layers[layer] ?? [];
  const forbidden = Object.keys(layers).filter((l) => l !== layer && !allowed.includes(l));
  const src = (/** @type {readonly string[]} */ ls) => ls.map((l) => `src/${l}`);
  const and = new Intl.ListFormat('en', { type: 'conjunction' });
  const or = new Intl.ListFormat('en', { type: 'disjunction' });
  const only = allowed.length ? `only ${and.format(src(allowed))}` : 'no other layer';
  const message = (/** @type {string[]} */ others) =>
    `src/${layer} imports ${only}, not ${or.format(src(others))} (DESIGN.md, Layers): what two layers share belongs inward, in src/core (or src/llm for model config, prices and usage).`;
  return {
    patterns: forbidden.map((other) => ({
      group: [`.*/**/${other}/**`],
      message: message([other]),
    })),
    syntax: {
      selector: `ImportExpression[source.value=/^\\.\\.?\\/(.*\\/)?(${forbidden.join('|')})\\//]`,
      message: message(forbidden),
    },
  };
}

/** Clock, randomness and environment reads: time and ids come into the core as data. */
const impureSyntax = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'src/core reads no clock: pass the time in as data (event.at).',
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'src/core reads no clock: pass the time in as data (event.at).',
  },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message: 'src/core uses no randomness: pass ids in as data.',
  },
  {
    selector: "MemberExpression[object.name='performance'][property.name='now']",
    message: 'src/core reads no clock.',
  },
  {
    selector: "MemberExpression[object.name='process']",
    message: 'src/core reads no environment or process state: pass settings in as data.',
  },
  {
    selector:
      'ImportSpecifier[imported.name=/^(randomBytes|randomUUID|randomInt|getRandomValues)$/]',
    message: 'src/core uses no randomness: pass ids in as data.',
  },
  {
    selector:
      "MemberExpression[object.name='crypto'][property.name=/^(randomUUID|getRandomValues)$/]",
    message: 'src/core uses no randomness.',
  },
  { selector: "CallExpression[callee.name='fetch']", message: 'src/core does no I/O.' },
  {
    selector: 'CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]',
    message: 'src/core has no timers: the shell feeds tick events.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'lib/', 'dist/', 'coverage/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Asymmetric matchers (expect.stringContaining, expect.any) are typed `any` by vitest.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: impureModules,
          patterns: [
            {
              group: impurePatterns,
              message: 'src/core does no I/O: the shells do it and pass the results in as data.',
            },
            ...layerRules('core').patterns,
          ],
        },
      ],
      'no-restricted-syntax': ['error', ...impureSyntax, layerRules('core').syntax],
    },
  },
  ...['llm', 'planner', 'app', 'action'].map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: layerRules(layer).patterns }],
      'no-restricted-syntax': ['error', layerRules(layer).syntax],
    },
  })),
  {
    // Only the GitHub port talks to GitHub (DESIGN.md, Layers): the rest of the App takes the
    // port. main.ts and probot-entry.ts build the client; app.ts registers the App on Probot.
    files: ['src/app/**/*.ts'],
    ignores: ['src/app/github/**', 'src/app/main.ts', 'src/app/probot-entry.ts', 'src/app/app.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'probot',
              message:
                'Only src/app/github/ talks to GitHub: take the GitHubPort (src/app/github/github-port.ts) instead of an Octokit.',
            },
          ],
          patterns: [
            {
              group: ['@octokit/*'],
              message:
                'Only src/app/github/ talks to GitHub: take the GitHubPort instead of an Octokit (webhook payload types are in src/app/github/webhooks.ts).',
            },
            ...layerRules('app').patterns,
          ],
        },
      ],
    },
  },
);
