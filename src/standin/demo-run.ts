import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { AnthropicPlanner } from '../planner/anthropic-planner.js';
import { ScriptedPlanner } from '../planner/scripted-planner.js';
import { DemoError } from './demo-error.js';
import { checkDemoRepo, setUpDemoRepo } from './demo-repo.js';
import { GoalView } from './goal-view.js';
import { renderPage } from './html-page.js';
import { runApp } from './run-app.js';
import { GANTRY_DIR, SAMPLE_ISSUE, samplePlan } from './sample.js';
import type { StoredIssue, StoredPull, StoredRepo } from './store.js';
import { StandIn } from './stand-in.js';
import { tick } from './ticks.js';
import { Timeline } from './timeline.js';

// The CLI and its test take the error from here, with runDemo.
export { DemoError };

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
  /** CI's time limit in minutes (`--ci-timeout`); default: the repository's config. */
  ciTimeout?: number | undefined;
  /** More variables of this environment for CI and jobs (`--env NAME`). */
  env?: string[] | undefined;
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

/** A comment as GitHub shows its text: without HTML comments and the collapsed details. */
export function visible(body: string): string {
  return body
    .replace(/<details>[\s\S]*?<\/details>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** What the options ask for, checked before anything starts. */
interface DemoPlan {
  live: boolean;
  scripted: boolean;
  /** The scripted plan given with --plan. */
  planner: ScriptedPlanner | undefined;
  /** The scripted agent given with --agent, as an absolute path. */
  agentScript: string | undefined;
}

/** The options, checked: a DemoError says what is missing or wrong, and how to fix it. */
async function checkOptions(o: DemoOptions): Promise<DemoPlan> {
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
  checkDemoRepo(o);
  return { live, scripted, planner, agentScript };
}

/** Who plans and who does the tasks, said before the run (a live run spends money). */
function modelsLine(o: DemoOptions, d: DemoPlan): string {
  return d.live
    ? 'Planner and agent: Claude (ANTHROPIC_API_KEY is set). This spends real money, and the code the model writes runs on this machine: in task jobs and CI, with your PATH and HOME but without your other environment.'
    : d.scripted
      ? `Planner and agent: scripted, from ${o.plan} and ${o.agent}. No model is called.`
      : 'Planner and agent: scripted (offline; set ANTHROPIC_API_KEY to use Claude). No model is called.';
}

/**
 * The goal as a maintainer runs it: the App started, the issue labelled, the plan comment shown
 * and every box and Start ticked, then the goal run to its end and the App stopped.
 */
async function runGoal(
  standIn: StandIn,
  repo: StoredRepo,
  issue: StoredIssue,
  o: DemoOptions,
  d: DemoPlan,
  print: (line: string) => void,
): Promise<GoalView> {
  const stateKey = randomBytes(32).toString('hex');
  const offline = d.planner ?? new ScriptedPlanner(samplePlan(), 'the sample plan');
  const app = await runApp(standIn, {
    planner: (config) =>
      d.live ? new AnthropicPlanner({ apiKey: o.anthropicKey, config: config.llm }) : offline,
    stateKey,
  });
  const view = new GoalView(standIn, repo, issue, stateKey);
  const over = () => view.over();
  const maint = standIn.as('maint');
  const where = { owner: repo.owner, repo: repo.name, issue_number: issue.number };

  await maint.rest.issues.addLabels({ ...where, labels: ['gantry'] });
  await app.until(() => view.state()?.status === 'awaiting-approval' || over(), 5);
  const planned = view.state();
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
  return view;
}

/** The issue thread and the pull request as an HTML page in `o.out`; the page's path. */
function writePage(
  standIn: StandIn,
  repo: StoredRepo,
  issue: StoredIssue,
  pull: { pull: StoredPull | undefined; ci: string | undefined },
  o: DemoOptions,
  live: boolean,
): string {
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const page = join(out, 'index.html');
  writeFileSync(
    page,
    renderPage({
      repo: `${repo.owner}/${repo.name}`,
      issue,
      pull: pull.pull,
      pullCi: pull.ci,
      serverUrl: standIn.store.serverUrl,
      note: live
        ? 'Planned and run by Claude'
        : 'Planned and run offline by the scripted planner and agent (no model was called)',
    }),
  );
  return page;
}

/** The goal's pull request, if any, and the conclusion of CI on its head. */
async function pullRequest(
  standIn: StandIn,
  repo: StoredRepo,
): Promise<{ pull: StoredPull | undefined; ci: string | undefined }> {
  const fullName = `${repo.owner}/${repo.name}`;
  const pull = [...repo.pulls.values()].at(-1);
  const head = pull && (await standIn.git.branchSha(fullName, pull.head));
  const ci = head ? standIn.ci.suitesFor(fullName, head).at(-1)?.conclusion : undefined;
  return { pull, ci };
}

/** The figures of the run, read from the stand-in. */
async function summarize(
  standIn: StandIn,
  repo: StoredRepo,
  view: GoalView,
  pull: { pull: StoredPull | undefined; ci: string | undefined },
  run: { t0: number; page: string; timeline: Timeline },
): Promise<DemoResult> {
  const s = view.state();
  const config = await standIn.git.readFile(
    `${repo.owner}/${repo.name}`,
    repo.defaultBranch,
    '.github/gantry.yml',
  );
  return {
    status: s?.status ?? 'not planned',
    landed: s?.tasks.filter((t) => t.status === 'done').length ?? 0,
    tasks: s?.tasks.length ?? 0,
    taskRuns: standIn.actions.runs.length,
    ciRuns: standIn.ci.suites.length,
    pull: pull.pull && { number: pull.pull.number, draft: pull.pull.draft, ci: pull.ci },
    wallMs: Date.now() - run.t0,
    runMs: standIn.actions.runs.reduce((n, r) => n + (r.updatedAt - r.createdAt), 0),
    ciMs: standIn.ci.suites.reduce(
      (n, x) => n + ((x.runs.at(-1)?.completedAt ?? x.createdAt) - x.createdAt),
      0,
    ),
    appCalls: standIn.appCalls().length,
    webhookMs: standIn.webhooks.deliveries.flatMap((d) => (d.ms === undefined ? [] : [d.ms])),
    problems: standIn.problems(),
    page: run.page,
    timeline: run.timeline.lines,
    config: parse(config ?? '{}'),
  };
}

/**
 * One goal on the stand-in, as a maintainer would run it: the issue is labelled, the plan comment
 * appears, every box and Start are ticked, and the goal runs to its end. The timeline is printed
 * as it happens; the issue thread and the pull request are written as an HTML page.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const print = o.print ?? (() => undefined);
  const d = await checkOptions(o);
  const t0 = Date.now();
  print(modelsLine(o, d));
  const timeline = new Timeline({ app: 'gantry[bot]', print });
  const standIn = await StandIn.start({
    actionDir: GANTRY_DIR,
    onAnswer: (a) => timeline.answered(a),
    onWebhook: (e) => timeline.webhook(e),
    ciTimeoutMinutes: o.ciTimeout,
    env: o.env,
  });
  const work = mkdtempSync(join(tmpdir(), 'gantry-demo-'));
  try {
    const repo = await setUpDemoRepo(standIn, o, d, work, print);
    const goal = o.goal?.trim();
    const issue = standIn.store.addIssue(
      repo,
      'maint',
      goal ? goal.split('\n')[0]!.slice(0, 120) : SAMPLE_ISSUE.title,
      goal ?? SAMPLE_ISSUE.body,
    );
    print(`Issue #${issue.number}: ${issue.title}\n`);
    const view = await runGoal(standIn, repo, issue, o, d, print);
    const pull = await pullRequest(standIn, repo);
    const page = writePage(standIn, repo, issue, pull, o, d.live);
    return await summarize(standIn, repo, view, pull, { t0, page, timeline });
  } finally {
    await standIn.close();
    rmSync(work, { recursive: true, force: true });
  }
}
