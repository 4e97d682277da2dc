import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { triggerLabel } from '../app/config.js';
import { AnthropicPlanner } from '../planner/anthropic-planner.js';
import { ScriptedPlanner, type Script } from '../planner/scripted-planner.js';
import { DemoError } from './demo-error.js';
import { checkScript, scriptGoal, withGoal } from './demo-inputs.js';
import { criticalPath } from './critical-path.js';
import { checkDemoRepo, fromCaller, setUpDemoRepo } from './demo-repo.js';
import { keepResult, type KeptResult } from './demo-result.js';
import { GoalView } from './goal-view.js';
import { renderPage } from './html-page.js';
import { runApp } from './run-app.js';
import { GANTRY_DIR, SAMPLE_ISSUE, samplePlan } from './sample.js';
import type { StoredIssue, StoredPull, StoredRepo } from './store.js';
import { StandIn } from './stand-in.js';
import { tick } from './ticks.js';
import { Timeline, type CiLine, type RunLine } from './timeline.js';

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
  /**
   * Where the result goes (the HTML page, the goal branch's bundle and patch). Default: a new
   * `gantry-demo-*` directory in `cwd`.
   */
  out?: string | undefined;
  /** Where relative paths start: the caller's directory (npm's INIT_CWD). Default: the cwd. */
  cwd?: string | undefined;
  /** CI's time limit in minutes (`--ci-timeout`); default: the repository's config. */
  ciTimeout?: number | undefined;
  /** More variables of this environment for CI and jobs (`--env NAME`). */
  env?: string[] | undefined;
  /**
   * A goal paused because the default branch is red is resumed with `/gantry resume known-red`,
   * as a maintainer whose goal is what fixes it would (`--known-red`); otherwise the demo ends
   * there, as the goal does.
   */
  knownRed?: boolean | undefined;
  print?: (line: string) => void;
  /** Told before the stand-in closes, to read figures the result does not carry (the bench). */
  onClose?: ((standIn: StandIn) => void) | undefined;
}

export interface DemoResult {
  status: string;
  landed: number;
  tasks: number;
  taskRuns: number;
  ciRuns: number;
  pull: { number: number; draft: boolean; ci: string | undefined } | undefined;
  /** The branch the pull request targets, and the repository's default branch. */
  target: { base: string; defaultBranch: string } | undefined;
  wallMs: number;
  /**
   * The goal's own wall time: from the maintainer's label to the goal's end (planning and the
   * ticks included; the stand-in's start and the repository's setup before it are not).
   */
  goalMs: number;
  /** The longest chain of task runs and CI along the plan's DAG, as it happened. */
  critical: { ms: number; tasks: string[] };
  /** Each task run with its agent's outcome, and each CI verdict with its failing check. */
  runs: RunLine[];
  ci: CiLine[];
  /** Task runs' and CI runs' durations, added up. */
  runMs: number;
  ciMs: number;
  /** Requests by the App (REST and GraphQL). */
  appCalls: number;
  /** How long the App took to answer each webhook. */
  webhookMs: number[];
  problems: string[];
  /** The directory the result went to, and the page in it. */
  out: string;
  page: string;
  /** The goal branch kept: its bundle and patch; undefined when no change landed. */
  kept: KeptResult | undefined;
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
  /** The script given with --plan, as read. */
  script: Script | undefined;
}

/** The options, checked: a DemoError says what is missing or wrong, and how to fix it. */
function checkOptions(o: DemoOptions): DemoPlan {
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
  const agentScript = o.agent ? fromCaller(o, o.agent) : undefined;
  const checked =
    o.plan && o.agent
      ? checkScript(fromCaller(o, o.plan), agentScript!, { plan: o.plan, agent: o.agent })
      : undefined;
  checkDemoRepo(o);
  // The plan says what the issue says: with --goal, the script's plans take the issue's goal.
  const goal = o.goal?.trim() ? issueOf(o.goal.trim()) : undefined;
  const planner =
    checked && goal
      ? new ScriptedPlanner(withGoal(checked.script, goal), o.plan)
      : checked?.planner;
  const out = o.out && fromCaller(o, o.out);
  if (out && existsSync(out) && !statSync(out).isDirectory())
    throw new DemoError(`--out: ${out} is a file: give a directory (made if missing).`);
  return { live, scripted, planner, agentScript, script: checked?.script };
}

/** The issue of a `--goal`: its first line is the title. */
function issueOf(goal: string): { title: string; body: string } {
  return { title: goal.split('\n')[0]!.slice(0, 120), body: goal };
}

/** Who plans and who does the tasks, said before the run (a live run spends money). */
function modelsLine(o: DemoOptions, d: DemoPlan): string {
  return d.live
    ? 'Planner and agent: Claude (ANTHROPIC_API_KEY is set). This spends real money, and the code the model writes runs on this machine: in task jobs and CI, with your PATH, HOME, proxy and CA variables and those named with --env, but without the rest of your environment.'
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
  try {
    return await approveAndRun(standIn, app, repo, issue, stateKey, o.knownRed, print);
  } finally {
    await app.close();
  }
}

/** The trigger label of the copy's `.github/gantry.yml`, as the App reads it (even if invalid). */
async function labelOf(standIn: StandIn, repo: StoredRepo): Promise<string> {
  const text = await standIn.git.readFile(
    `${repo.owner}/${repo.name}`,
    repo.defaultBranch,
    '.github/gantry.yml',
  );
  try {
    return triggerLabel(parse(text ?? ''));
  } catch {
    return triggerLabel(undefined);
  }
}

/** The maintainer's part: the label, the plan read and approved; the goal then runs to its end. */
async function approveAndRun(
  standIn: StandIn,
  app: Awaited<ReturnType<typeof runApp>>,
  repo: StoredRepo,
  issue: StoredIssue,
  stateKey: string,
  knownRed: boolean | undefined,
  print: (line: string) => void,
): Promise<GoalView> {
  const view = new GoalView(standIn, repo, issue, stateKey);
  const over = () => view.over();
  const maint = standIn.as('maint');
  const where = { owner: repo.owner, repo: repo.name, issue_number: issue.number };

  const label = await labelOf(standIn, repo);
  view.labelledAt = Date.now();
  await maint.rest.issues.addLabels({ ...where, labels: [label] });
  const answered = () =>
    view.state()?.status === 'awaiting-approval' || over() || view.configError() !== undefined;
  try {
    await app.until(answered, 5);
  } catch (e) {
    if (!(e instanceof Error && e.message.startsWith('still not there'))) throw e;
    const said = view.replies().map((c) => visible(c.body));
    throw new DemoError(
      `The App did not plan the issue after the label \`${label}\` was added${said.length ? `; it said:\n\n${said.join('\n\n')}` : ', and said nothing.'}`,
      false,
    );
  }
  const refused = view.configError();
  if (refused && !view.planComment())
    throw new DemoError(
      `The repository's .github/gantry.yml is invalid: the App refused the goal with this comment on the issue.\n\n${visible(refused.body)}\n\nFix .github/gantry.yml in your repository, commit it, and run the demo again (the copy takes what is committed).`,
      false,
    );
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
    // A paused goal waits for a person: the demo answers a red base only when told to.
    const stopped = () => over() || view.state()?.status === 'paused';
    await app.until(stopped, 40);
    if (view.state()?.pausedFor === 'base' && knownRed) {
      print(
        `\nThe default branch is red: the maintainer comments \`/gantry resume known-red\` (--known-red).`,
      );
      await maint.rest.issues.createComment({ ...where, body: '/gantry resume known-red' });
      await app.until(stopped, 40);
    }
    const s = view.state();
    if (s?.status === 'paused') printPause(view, s.pausedFor, print);
  } else print(`\nNo plan to approve: the goal is ${planned?.status ?? 'not planned'}.`);
  view.endedAt = Date.now();
  return view;
}

/** A goal that stopped for a person: what the App said, and how to go on in the demo. */
function printPause(view: GoalView, why: string | undefined, print: (line: string) => void): void {
  const said = view.replies().at(-1);
  print(
    `\nThe goal is paused (${why ?? 'no reason given'}), waiting for a maintainer${said ? `; the App said:\n\n${visible(said.body)}\n` : '.'}`,
  );
  if (why === 'base')
    print(
      'The demo stops here, as the goal does. Make the default branch green first, or, if this goal is what makes it green, run the demo again with --known-red.',
    );
}

/** The issue thread and the pull request as an HTML page in `o.out`; the page's path. */
function writePage(
  standIn: StandIn,
  repo: StoredRepo,
  issue: StoredIssue,
  pull: { pull: StoredPull | undefined; ci: string | undefined },
  out: string,
  live: boolean,
  kept: KeptResult | undefined,
  timeline: Timeline,
): string {
  const page = join(out, 'index.html');
  writeFileSync(
    page,
    renderPage({
      repo: `${repo.owner}/${repo.name}`,
      issue,
      pull: pull.pull,
      pullCi: pull.ci,
      serverUrl: standIn.store.serverUrl,
      change: kept,
      runs: timeline.runs,
      ci: timeline.ci,
      note: live
        ? 'Planned and run by Claude'
        : 'Planned and run offline by the scripted planner and agent (no model was called)',
    }),
  );
  return page;
}

/** The directory the result goes to: `--out` (made if missing), or a new one in the caller's. */
function outDir(o: DemoOptions): string {
  if (!o.out) return mkdtempSync(join(o.cwd ?? process.cwd(), 'gantry-demo-'));
  const out = fromCaller(o, o.out);
  mkdirSync(out, { recursive: true });
  return out;
}

/** The goal branch kept in `out` (bundle and patch), before the stand-in and its git go. */
function keep(
  standIn: StandIn,
  repo: StoredRepo,
  view: GoalView,
  pull: StoredPull | undefined,
  o: DemoOptions,
  out: string,
): KeptResult | undefined {
  const branch = pull?.head ?? view.state()?.branch;
  if (!branch) return undefined;
  return keepResult({
    bare: standIn.git.path(`${repo.owner}/${repo.name}`),
    base: repo.defaultBranch,
    branch,
    copied: o.repo !== undefined,
    title: pull?.title ?? view.issue.title,
    out,
    slug: branch.replace(/[^\w.-]+/g, '-'),
  });
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

/**
 * The critical path of the goal: each task's own runs and the CI on its landings, chained along
 * the plan's dependencies; CI of no task (the base's) is a chain of its own.
 */
function critical(
  standIn: StandIn,
  s: ReturnType<GoalView['state']>,
  timeline: Timeline,
): { ms: number; tasks: string[] } {
  const ms = new Map<string, number>();
  const add = (task: string, n: number) => ms.set(task, (ms.get(task) ?? 0) + n);
  for (const r of standIn.actions.runs)
    if (r.inputs.task_id) add(r.inputs.task_id, r.updatedAt - r.createdAt);
  let other = 0;
  for (const c of timeline.ci)
    if (c.task) add(c.task, c.ms);
    else other += c.ms;
  return criticalPath(s?.plan?.tasks ?? [], ms, other);
}

/** The figures of the run, read from the stand-in. */
async function summarize(
  standIn: StandIn,
  repo: StoredRepo,
  view: GoalView,
  pull: { pull: StoredPull | undefined; ci: string | undefined },
  run: { t0: number; out: string; page: string; kept: KeptResult | undefined; timeline: Timeline },
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
    target: pull.pull && { base: pull.pull.base, defaultBranch: repo.defaultBranch },
    wallMs: Date.now() - run.t0,
    goalMs: (view.endedAt ?? Date.now()) - (view.labelledAt ?? run.t0),
    critical: critical(standIn, s, run.timeline),
    runs: run.timeline.runs,
    ci: run.timeline.ci,
    runMs: standIn.actions.runs.reduce((n, r) => n + (r.updatedAt - r.createdAt), 0),
    ciMs: standIn.ci.suites.reduce(
      (n, x) => n + ((x.runs.at(-1)?.completedAt ?? x.createdAt) - x.createdAt),
      0,
    ),
    appCalls: standIn.appCalls().length,
    webhookMs: standIn.webhooks.deliveries.flatMap((d) => (d.ms === undefined ? [] : [d.ms])),
    problems: standIn.problems(),
    out: run.out,
    page: run.page,
    kept: run.kept,
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
  const d = checkOptions(o);
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
  timeline.sources = {
    run: (id) => standIn.actions.find(id),
    suite: (id) => standIn.ci.suites.find((x) => x.id === id),
  };
  const work = mkdtempSync(join(tmpdir(), 'gantry-demo-'));
  try {
    const repo = await setUpDemoRepo(standIn, o, d, work, print);
    const goal = o.goal?.trim();
    // The issue says what the plan says: --goal, else the scripted plan's goal, else the sample's.
    const said = goal ? issueOf(goal) : d.script ? scriptGoal(d.script) : SAMPLE_ISSUE;
    const issue = standIn.store.addIssue(repo, 'maint', said.title, said.body);
    print(`Issue #${issue.number}: ${issue.title}\n`);
    const view = await runGoal(standIn, repo, issue, o, d, print);
    const pull = await pullRequest(standIn, repo);
    const out = outDir(o);
    const kept = keep(standIn, repo, view, pull.pull, o, out);
    const page = writePage(standIn, repo, issue, pull, out, d.live, kept, timeline);
    return await summarize(standIn, repo, view, pull, { t0, out, page, kept, timeline });
  } finally {
    o.onClose?.(standIn);
    await standIn.close();
    rmSync(work, { recursive: true, force: true });
  }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The account of a run the CLI prints at its end: outcome, pull request (and the branch it
 * targets when that is not the default), the wall time against the critical path, and the App's
 * calls per landed task when a task landed.
 */
export function summaryText(r: DemoResult): string {
  const pull = r.pull
    ? `#${r.pull.number} ${r.pull.draft ? '(draft)' : 'ready for review'}, CI on its head: ${r.pull.ci ?? 'none'}${!r.target || r.target.base === r.target.defaultBranch ? '' : `; it targets ${r.target.base}, not the default branch ${r.target.defaultBranch}`}`
    : 'none';
  const outcomes = new Map<string, number>();
  for (const x of r.runs) outcomes.set(x.outcome, (outcomes.get(x.outcome) ?? 0) + 1);
  const agents = [...outcomes].map(([k, n]) => `${n} ${k}`).join(', ');
  const chain = r.critical.tasks.length ? ` (${r.critical.tasks.join(' → ')})` : '';
  return [
    `Goal: ${r.status}. ${r.landed} of ${r.tasks} tasks landed; ${r.taskRuns} task runs${agents ? ` (agents: ${agents})` : ''}, ${r.ciRuns} CI runs${r.ci.some((c) => c.failed) ? ` (${r.ci.filter((c) => c.failed).length} red)` : ''}.`,
    `Pull request: ${pull}.`,
    `Time: ${secs(r.wallMs)} in all, ${secs(r.goalMs)} from the label to the goal's end (${r.critical.ms > 0 ? `${(r.goalMs / r.critical.ms).toFixed(2)} × ` : ''}the critical path${chain}: ${secs(r.critical.ms)} of task runs and CI; all runs added up: ${secs(r.runMs + r.ciMs)}).`,
    r.landed > 0
      ? `Calls by the App: ${r.appCalls} (${(r.appCalls / r.landed).toFixed(1)} per landed task).`
      : `Calls by the App: ${r.appCalls} (no task landed).`,
  ].join('\n');
}
