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
export const impurePatterns = [
  '@octokit/*',
  '@actions/*',
  '@anthropic-ai/*',
  '../app/*',
  '../action/*',
  '../planner/*',
  '../standin/*',
];

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
      'no-restricted-imports': ['error', { paths: impureModules, patterns: impurePatterns }],
      'no-restricted-syntax': ['error', ...impureSyntax],
    },
  },
);
