import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Script } from '../planner/scripted-planner.js';
import type { AgentScript } from './scripted-agent.js';

/**
 * The sample repository of the demo and the stand-in scenarios: a small greeting library with a
 * real test suite (`node --test`), Gantry's task workflow, and a config that runs the scripted
 * agent. The scripted plan is a diamond: T1, then T2 and T3 in parallel, then T4.
 */

export const SAMPLE_REPO = 'octo/greeting';

/** Where Gantry itself is: the Action (`action.yml`, `dist/`) and the task workflow. */
export const GANTRY_DIR = join(import.meta.dirname, '..', '..');

export const SAMPLE_ISSUE = {
  title: 'Add a greeting module',
  body: 'Add `greet(name)`, test it, document it, and export it from the package.',
};

const greetJs = 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n';
const greetTest =
  "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { greet } from '../src/greet.js';\n\ntest('greet says hello', () => {\n  assert.equal(greet('Ada'), 'Hello, Ada!');\n});\n";
const indexTest =
  "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport * as lib from '../src/index.js';\n\ntest('the package exports greet', () => {\n  assert.equal(typeof lib.greet, 'function');\n});\n";

export function sampleFiles(agentCommand: string, config: Record<string, unknown> = {}) {
  return {
    'README.md': '# greeting\n\nA tiny greeting library.\n',
    'package.json': `${JSON.stringify({ name: 'greeting', version: '0.1.0', type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`,
    'src/index.js': 'export {};\n',
    'test/smoke.test.js':
      "import { test } from 'node:test';\n\ntest('the package loads', async () => {\n  await import('../src/index.js');\n});\n",
    '.github/workflows/gantry-task.yml': readFileSync(
      join(GANTRY_DIR, '.github/workflows/gantry-task.yml'),
      'utf8',
    ),
    '.github/gantry.yml': stringify({
      agent: { backend: 'command', command: agentCommand },
      ...config,
    }),
  };
}

/**
 * The command that runs the scripted agent with the script in the file `script` (the sample
 * config's `agent.command`). The script travels in the command, so the agent's own user, which
 * cannot read the stand-in's temporary files, needs only Node and `scripted-agent.ts`.
 */
export const scriptedAgentCommand = (script: string) =>
  `"${process.execPath}" "${join(GANTRY_DIR, 'src/standin/scripted-agent.ts')}" --script-base64 ${readFileSync(script).toString('base64')}`;

/** The repository's CI: its own tests. */
export const SAMPLE_CI = 'node --test';

const task = (
  id: string,
  title: string,
  dependsOn: string[],
  criteria: unknown[],
  scope: string[],
  covers: number[],
) => ({
  id,
  title,
  description: `${title}.`,
  dependsOn,
  tier: 'small',
  criteria,
  scope,
  estimate: 5,
  covers,
});

/** The scripted planner's diamond for the sample issue. */
export function samplePlan(): Script {
  return {
    plans: [
      {
        goal: SAMPLE_ISSUE,
        rigor: 'L1',
        // The issue's requirements; each task below names the ones it covers.
        requirements: [
          '`greet(name)` returns a greeting for the name',
          'greet() is tested',
          'greet() is documented in the README',
          'greet() is exported from the package',
        ],
        tasks: [
          task(
            'T1',
            'Add greet()',
            [],
            [{ kind: 'file', path: 'src/greet.js', exists: true }],
            ['src/'],
            [1],
          ),
          task(
            'T2',
            'Test greet()',
            ['T1'],
            [{ kind: 'file', path: 'test/greet.test.js', exists: true }],
            ['test/'],
            [2],
          ),
          task(
            'T3',
            'Document greet()',
            ['T1'],
            [{ kind: 'grep', pattern: 'greet', in: 'README.md', present: true }],
            ['README.md'],
            [3],
          ),
          task(
            'T4',
            'Export greet()',
            ['T2', 'T3'],
            [{ kind: 'command', run: 'node --test' }],
            ['src/', 'test/'],
            [4],
          ),
        ],
      },
    ],
    recoveries: [
      {
        taskId: 'T2',
        rootCause: 'The new test expects the wrong greeting.',
        action: { kind: 'retry', guidance: 'greet() says "Hello, <name>!"; test for that.' },
      },
    ],
    knowledge: [
      {
        taskId: 'T1',
        findings: [{ kind: 'decision', text: 'greet() returns a string and never throws.' }],
      },
    ],
  };
}

/** What the scripted agent does for each task: the work a model would have done. */
export function sampleAgent(): AgentScript {
  return {
    T1: [{ write: { 'src/greet.js': greetJs }, say: 'Added src/greet.js with greet(name).' }],
    T2: [{ write: { 'test/greet.test.js': greetTest }, say: 'Added a test for greet().' }],
    T3: [
      {
        append: {
          'README.md':
            '\n## Usage\n\n```js\nimport { greet } from "greeting";\ngreet("Ada"); // "Hello, Ada!"\n```\n',
        },
        say: 'Documented greet() in the README.',
      },
    ],
    T4: [
      {
        write: {
          'src/index.js': "export { greet } from './greet.js';\n",
          'test/index.test.js': indexTest,
        },
        say: 'Exported greet() from the package, with a test.',
      },
    ],
  };
}

/** T2's first attempt tests for the wrong greeting: its file exists, but CI goes red. */
export const BREAKS_TESTS = {
  write: { 'test/greet.test.js': greetTest.replace("'Hello, Ada!'", "'Hi, Ada!'") },
  say: 'Added a test for greet().',
};

/** T2 edits the README's last lines too, where T3 adds its usage section: a conflict. */
export const EDITS_README = {
  write: { 'test/greet.test.js': greetTest },
  append: { 'README.md': '\n## Testing\n\nRun `npm test`.\n' },
  say: 'Added a test for greet() and a testing note.',
};
