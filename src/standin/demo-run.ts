import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { AnthropicPlanner } from '../planner/anthropic-planner.js';
import { ScriptedPlanner } from '../planner/scripted-planner.js';
import { GoalView } from './goal-view.js';
import { renderPage } from './html-page.js';
import { runApp } from './run-app.js';
import {
  BREAKS_TESTS,
  GANTRY_DIR,
  SAMPLE_CI,
  SAMPLE_ISSUE,
  SAMPLE_REPO,
  sampleAgent,
  sampleFiles,
  samplePlan,
  scriptedAgentCommand,
} from './sample.js';
import type { StoredRepo } from './store.js';
import { StandIn } from './stand-in.js';
import { tick } from './ticks.js';
import { Timeline } from './timeline.js';

export class DemoError extends Error {
  override name = 'DemoError';
}

export interface DemoOptions {
  /** Claude for the planner and the agent; without it, the scripted ones (offline). */
  anthropicKey?: string | undefined;
  /** A local git repository to run on (a copy; needs the key). Default: the sample. */
  repo?: string | undefined;
  /** The goal (its first line is the issue title; needs the key). Default: the sample issue. */
  goal?: string | undefined;
  /** The repository's test command (for `repo`; default `npm test` when it has one). */
  ci?: string | undefined;
  /**
   * A scripted plan (a ScriptedPlanner fixture, YAML or JSON) and a scripted agent (JSON: task id
   * to attempts, see `scripted-agent.ts`), to run `repo` or `goal` offline, without a model.
   */
  plan?: string | undefined;
  agent?: string | undefined;
  /** Where the HTML page goes. */
  out: string;
  print?: (line: string) => void;
}

export interface DemoResult {
  status: string;
  landed: number;
  tasks: number;
  taskRuns: number;
  ciRuns: number;
  pull: { number: number; draft: boolean; ci: string | undefined } | undefined;
  wallMs: number;
  /** Task runs' and CI runs' durations, added up. */
  runMs: number;
  ciMs: number;
  /** Requests by the App (REST and GraphQL). */
  appCalls: number;
  /** How long the App took to answer each webhook. */
  webhookMs: number[];
  problems: string[];
  page: string;
  timeline: string[];
  /** The `.github/gantry.yml` the run used. */
  config: unknown;
}

/** A file as committed at the local repository's HEAD (what the copy holds), if it is there. */
function committed(repo: string, path: string): string | undefined {
  try {
    return execFileSync('git', ['-C', repo, 'show', `HEAD:${path}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

/** The local repository's test command: `ci`, or `npm test` when its package.json has one. */
function ciCommand(repo: string, given: string | undefined): string {
  if (given) return given;
  const pkg = committed(repo, 'package.json');
  let manifest:
    | { scripts?: Record<string, string>; dependencies?: object; devDependencies?: object }
    | undefined;
  try {
    manifest = pkg === undefined ? undefined : (JSON.parse(pkg) as typeof manifest);
  } catch (e) {
    throw new DemoError(`${repo}: package.json is not JSON (${(e as Error).message}); give --ci.`);
  }
  if (manifest?.scripts?.test) {
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).length;
    if (!deps) return 'npm test';
    const lock = committed(repo, 'package-lock.json') !== undefined;
    return `${lock ? 'npm ci' : 'npm install'} --ignore-scripts --no-audit --no-fund && npm test`;
  }
  throw new DemoError(
    `${repo} has no \`npm test\`: say how to run its tests with --ci "<command>" (CI judges every task by it).`,
  );
}

/**
 * The copy's `.github/gantry.yml`: the repository's own (rules, blocked paths kept) with the
 * agent and the test command set for this run.
 */
function configFor(repo: string, agent: Record<string, string>, testCommand: string): string {
  const own = committed(repo, '.github/gantry.yml');
  let config: Record<string, unknown>;
  try {
    config = (own ? parse(own) : {}) as Record<string, unknown>;
  } catch (e) {
    throw new DemoError(`${repo}: .github/gantry.yml is not YAML (${(e as Error).message}).`);
  }
  return stringify({
    ...config,
    agent: { ...(config.agent as object | undefined), ...agent },
    testCommand,
  });
}

/** A comment as GitHub shows its text: without HTML comments and the collapsed details. */
export function visible(body: string): string {
  return body
    .replace(/<details>[\s\S]*?<\/details>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const workflowFile = () =>
  readFileSync(join(GANTRY_DIR, '.github/workflows/gantry-task.yml'), 'utf8');

/**
 * One goal on the stand-in, as a maintainer would run it: the issue is labelled, the plan comment
 * appears, every box and Start are ticked, and the goal runs to its end. The timeline is printed
 * as it happens; the issue thread and the pull request are written as an HTML page.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const print = o.print ?? (() => undefined);
  const scripted = o.plan !== undefined || o.agent !== undefined;
  if (scripted && !(o.plan && o.agent))
    throw new DemoError(
      `--plan and --agent go together: a scripted plan needs a scripted agent to do its tasks (got only ${o.plan ? '--plan' : '--agent'}).`,
    );
  const live = o.anthropicKey !== undefined && !scripted;
  if (!live && !scripted && (o.repo || o.goal))
    throw new DemoError(
      `${o.repo ? '--repo' : '--goal'} needs ANTHROPIC_API_KEY, or a scripted plan and agent (--plan, --agent): offline, Gantry has a scripted plan for its sample repository only. Set the key, or run \`npm run demo\` without options.`,
    );
  const planner = o.plan
    ? await ScriptedPlanner.fromFile(resolve(o.plan)).catch((e: unknown) => {
        throw new DemoError(`--plan ${o.plan}: ${(e as Error).message}`);
      })
    : undefined;
  const agentScript = o.agent ? resolve(o.agent) : undefined;
  if (agentScript) {
    try {
      JSON.parse(readFileSync(agentScript, 'utf8'));
    } catch (e) {
      throw new DemoError(
        `--agent ${o.agent}: not a readable JSON script (${(e as Error).message}).`,
      );
    }
  }
  if (o.repo && !existsSync(join(resolve(o.repo), '.git')))
    throw new DemoError(`${o.repo} is not a git repository (no .git there).`);
  if (o.repo && committed(resolve(o.repo), '') === undefined)
    throw new DemoError(
      `${o.repo} has no commits yet: commit something first (the copy takes HEAD).`,
    );
  if (o.repo && !o.goal?.trim())
    throw new DemoError('--repo needs --goal "<text>": what should Gantry do in your repository?');
  if (o.goal !== undefined && !o.goal.trim()) throw new DemoError('--goal is empty.');
  if (o.ci && !o.repo)
    throw new DemoError('--ci is for --repo: the sample repository has its own test command.');
  const t0 = Date.now();
  print(
    live
      ? 'Planner and agent: Claude (ANTHROPIC_API_KEY is set). This spends real money, and the code the model writes runs on this machine: in task jobs and CI, with your PATH and HOME but without your other environment.'
      : scripted
        ? `Planner and agent: scripted, from ${o.plan} and ${o.agent}. No model is called.`
        : 'Planner and agent: scripted (offline; set ANTHROPIC_API_KEY to use Claude). No model is called.',
  );
  const timeline = new Timeline({ app: 'gantry[bot]', print });
  const standIn = await StandIn.start({
    actionDir: GANTRY_DIR,
    onAnswer: (a) => timeline.answered(a),
    onWebhook: (e) => timeline.webhook(e),
  });
  const work = mkdtempSync(join(tmpdir(), 'gantry-demo-'));
  try {
    const secrets: Record<string, string> = live ? { ANTHROPIC_API_KEY: o.anthropicKey! } : {};
    const roles = { maint: 'maintain' as const };
    const claudeConfig = stringify({ agent: { backend: 'anthropic' } });
    let repo: StoredRepo;
    if (o.repo) {
      const source = resolve(o.repo);
      const name = basename(source).replace(/[^\w.-]/g, '-') || 'repo';
      const ci = ciCommand(source, o.ci);
      const agent: Record<string, string> = agentScript
        ? { backend: 'command', command: scriptedAgentCommand(agentScript) }
        : { backend: 'anthropic' };
      repo = await standIn.importRepo(
        `local/${name}`,
        source,
        {
          '.github/workflows/gantry-task.yml': workflowFile(),
          '.github/gantry.yml': configFor(source, agent, ci),
        },
        { roles, ci, secrets },
      );
      print(`Repository: a copy of ${source} (committed work only; the original is not changed).`);
    } else {
      // The scripted agent's first try at T2 breaks a test, so the demo shows CI at work.
      const agent = sampleAgent();
      agent.T2 = [BREAKS_TESTS, ...agent.T2!];
      const script = agentScript ?? join(work, 'agent.json');
      if (!agentScript) writeFileSync(script, JSON.stringify(agent));
      const files = sampleFiles(scriptedAgentCommand(script));
      if (live) files['.github/gantry.yml'] = claudeConfig;
      repo = await standIn.addRepo(SAMPLE_REPO, files, { roles, ci: SAMPLE_CI, secrets });
      print(`Repository: ${SAMPLE_REPO}, a small greeting library with a real test suite.`);
    }
    const fullName = `${repo.owner}/${repo.name}`;
    const goal = o.goal?.trim();
    const issue = standIn.store.addIssue(
      repo,
      'maint',
      goal ? goal.split('\n')[0]!.slice(0, 120) : SAMPLE_ISSUE.title,
      goal ?? SAMPLE_ISSUE.body,
    );
    print(`Issue #${issue.number}: ${issue.title}\n`);

    const stateKey = randomBytes(32).toString('hex');
    const offline = planner ?? new ScriptedPlanner(samplePlan(), 'the sample plan');
    const app = await runApp(standIn, {
      planner: (config) =>
        live ? new AnthropicPlanner({ apiKey: o.anthropicKey, config: config.llm }) : offline,
      stateKey,
    });
    const view = new GoalView(standIn, repo, issue, stateKey);
    const state = () => view.state();
    const over = () => view.over();
    const maint = standIn.as('maint');
    const where = { owner: repo.owner, repo: repo.name, issue_number: issue.number };

    await maint.rest.issues.addLabels({ ...where, labels: ['gantry'] });
    await app.until(() => state()?.status === 'awaiting-approval' || over(), 5);
    const planned = state();
    if (planned?.status === 'awaiting-approval' && planned.plan) {
      const body = view.planComment()!.body;
      print(`\n--- the plan comment, as the maintainer sees it ---\n${visible(body)}\n---\n`);
      const ids = planned.plan.tasks.map((t) => t.id);
      await maint.rest.issues.updateComment({
        ...where,
        comment_id: view.planComment()!.id,
        body: tick(body, [...ids, 'Start']),
      });
      await app.until(over, 40);
    } else print(`\nNo plan to approve: the goal is ${planned?.status ?? 'not planned'}.`);
    await app.close();

    const s = state();
    const pull = [...repo.pulls.values()].at(-1);
    const head = pull && (await standIn.git.branchSha(fullName, pull.head));
    const pullCi = head ? standIn.ci.suitesFor(fullName, head).at(-1)?.conclusion : undefined;
    const out = resolve(o.out);
    mkdirSync(out, { recursive: true });
    const page = join(out, 'index.html');
    writeFileSync(
      page,
      renderPage({
        repo: fullName,
        issue,
        pull,
        pullCi,
        serverUrl: standIn.store.serverUrl,
        note: live
          ? 'Planned and run by Claude'
          : 'Planned and run offline by the scripted planner and agent (no model was called)',
      }),
    );
    return {
      status: s?.status ?? 'not planned',
      landed: s?.tasks.filter((t) => t.status === 'done').length ?? 0,
      tasks: s?.tasks.length ?? 0,
      taskRuns: standIn.actions.runs.length,
      ciRuns: standIn.ci.suites.length,
      pull: pull && { number: pull.number, draft: pull.draft, ci: pullCi },
      wallMs: Date.now() - t0,
      runMs: standIn.actions.runs.reduce((n, r) => n + (r.updatedAt - r.createdAt), 0),
      ciMs: standIn.ci.suites.reduce(
        (n, x) => n + ((x.runs.at(-1)?.completedAt ?? x.createdAt) - x.createdAt),
        0,
      ),
      appCalls: standIn.appCalls().length,
      webhookMs: standIn.webhooks.deliveries.flatMap((d) => (d.ms === undefined ? [] : [d.ms])),
      problems: standIn.problems(),
      page,
      timeline: timeline.lines,
      config: parse(
        (await standIn.git.readFile(fullName, repo.defaultBranch, '.github/gantry.yml')) ?? '{}',
      ),
    };
  } finally {
    await standIn.close();
    rmSync(work, { recursive: true, force: true });
  }
}
