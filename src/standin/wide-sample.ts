import type { Script } from '../planner/scripted-planner.js';
import { SAMPLE_ISSUE } from './sample.js';
import type { AgentScript } from './scripted-agent.js';

/**
 * A wider goal on the sample repository, for the API figures of a goal of many tasks: T1 adds
 * greet(), T2 to T(n-1) each add a greeting of their own in a file of their own (in parallel, as
 * far as `maxParallel` lets them), and the last exports them all. Every task lands on its first
 * attempt; CI (the repository's tests) is green throughout.
 */
export function widePlan(n = 12): Script {
  const middle = Array.from({ length: n - 2 }, (_, k) => `T${k + 2}`);
  const task = (id: string, title: string, dependsOn: string[], path: string) => ({
    id,
    title,
    description: `${title}.`,
    dependsOn,
    tier: 'small',
    criteria: [{ kind: 'file', path, exists: true }],
    scope: [path],
    estimate: 5,
  });
  return {
    plans: [
      {
        goal: { title: `Add ${n - 1} greetings`, body: SAMPLE_ISSUE.body },
        rigor: 'L1',
        tasks: [
          task('T1', 'Add greet()', [], 'src/greet.js'),
          ...middle.map((id) =>
            task(id, `Add greeting ${id}`, ['T1'], `src/${id.toLowerCase()}.js`),
          ),
          task(`T${n}`, 'Export every greeting', middle, 'src/all.js'),
        ],
      },
    ],
  };
}

/** What the scripted agent does for each task of `widePlan(n)`. */
export function wideAgent(n = 12): AgentScript {
  const middle = Array.from({ length: n - 2 }, (_, k) => `T${k + 2}`);
  const script: AgentScript = {
    T1: [{ write: { 'src/greet.js': 'export const greet = (name) => `Hello, ${name}!`;\n' } }],
    [`T${n}`]: [
      {
        write: {
          'src/all.js': middle.map((id) => `export * from './${id.toLowerCase()}.js';\n`).join(''),
        },
      },
    ],
  };
  for (const id of middle)
    script[id] = [
      {
        write: {
          [`src/${id.toLowerCase()}.js`]: `import { greet } from './greet.js';\nexport const greet${id} = () => greet('${id}');\n`,
        },
      },
    ];
  return script;
}
