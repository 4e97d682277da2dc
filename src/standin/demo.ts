/**
 * `npm run demo`: Gantry end to end on the stand-in, a local GitHub. A sample repository with a
 * real test suite gets an issue; the maintainer labels it; the unmodified App plans it and posts
 * the plan comment; the maintainer ticks every box; the task workflow runs the Action for each
 * task; CI judges every landing; a ready pull request ends it. The timeline is printed as it
 * happens, and an HTML page shows the issue thread and the pull request as GitHub would.
 *
 * Offline it uses the scripted planner and agent, and says so. With `ANTHROPIC_API_KEY` set, the
 * planner and the agent are Claude. `--repo <path> --goal "<text>"` runs a goal on a copy of a
 * local repository of your own (it is only read).
 */
import { parseArgs } from 'node:util';
import { DemoError, runDemo, summaryText, type DemoResult } from './demo-run.js';

const USAGE = `Usage: npm run demo [-- options]

  --repo <path>     run on a copy of this local git repository, at its checked-out commit
                    (needs ANTHROPIC_API_KEY, or --plan and --agent)
  --goal "<text>"   the goal: the issue's title is its first line
  --ci "<command>"  the repository's test command (default: testCommand of its own
                    .github/gantry.yml, else npm test when package.json has one)
  --plan <file>     offline: a scripted plan (YAML or JSON, as the scripted planner reads them)
  --agent <file>    offline: a scripted agent (JSON: task id -> attempts), with --plan
  --ci-timeout <minutes>
                    CI's time limit (default: ci.timeoutMinutes of the repository's
                    .github/gantry.yml, 30 when it has none)
  --env NAME        pass this variable of your environment to CI and task jobs (repeatable);
                    PATH, HOME, the locale and HTTP(S)_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS,
                    SSL_CERT_FILE, SSL_CERT_DIR always go
  --known-red       when the App pauses the goal because the default branch's CI is red,
                    answer \`/gantry resume known-red\` as a maintainer whose goal fixes it
                    would: the checks red there judge no landing until one passes them
  --out <dir>       where the result goes: the HTML page, the goal branch as a git bundle and
                    its change as a patch (default: a new gantry-demo-* directory here)

Relative paths are from the directory you run npm in (npm's INIT_CWD), also with --prefix.
  -h, --help        this text`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        repo: { type: 'string' },
        goal: { type: 'string' },
        ci: { type: 'string' },
        plan: { type: 'string' },
        agent: { type: 'string' },
        'ci-timeout': { type: 'string' },
        env: { type: 'string', multiple: true },
        out: { type: 'string' },
        'known-red': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new DemoError((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const { 'ci-timeout': ciTimeout, env, 'known-red': knownRed, ...rest } = values;
  const r = await runDemo({
    ...rest,
    knownRed,
    ciTimeout: ciTimeout === undefined ? undefined : minutes(ciTimeout),
    env: env?.map(envName),
    // npm runs scripts in the package's directory; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD || process.cwd(),
    anthropicKey: process.env.ANTHROPIC_API_KEY || undefined,
    print: (line) => console.log(line),
  });
  console.log(`
${summaryText(r)}
Requests GitHub would have refused: ${r.problems.length}.${r.problems.map((p) => `\n  - ${p}`).join('')}
The result, kept in ${r.out}:
  ${r.page}: the issue and the pull request as GitHub would show them, with its diff and commits.
${keptLines(r.kept)}`);
  return r.status === 'done' && r.problems.length === 0 ? 0 : 1;
}

/** How to take the goal branch into the repository: the bundle and the patch. */
function keptLines(k: DemoResult['kept']): string {
  if (!k) return '  No goal branch with a change: there is no bundle or patch.';
  if (!k.prerequisite)
    return `  ${k.bundle}: the goal branch ${k.branch} as a git bundle, with its whole history;
    take it with: git clone --branch ${k.branch} ${k.bundle}
  ${k.patch}: the whole change as one commit, a mailbox patch for git am on the branch's base`;
  const on = `the commit the copy took (${k.prerequisite.slice(0, 7)})`;
  return `  ${k.bundle}: the goal branch ${k.branch} as a git bundle (it needs ${on});
    take it with: git fetch ${k.bundle} ${k.branch}:${k.branch}
  ${k.patch}: the whole change as one commit, a mailbox patch for git am on ${on};
    apply it with: git am ${k.patch}`;
}

function minutes(text: string): number {
  const n = Number(text);
  if (!(n > 0 && n <= 24 * 60))
    throw new DemoError(
      `--ci-timeout ${text}: give CI's time limit in minutes (more than 0, at most 1440).`,
    );
  return n;
}

function envName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new DemoError(
      `--env ${name}: give the name of a variable (--env MY_VAR), not its value.`,
    );
  return name;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof DemoError ? (e.usage ? `${e.message}\n\n${USAGE}` : e.message) : e);
    process.exit(e instanceof DemoError ? 2 : 1);
  },
);
