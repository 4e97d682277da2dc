import { createHash } from 'node:crypto';
import type { Effect } from '../core/effects.js';
import { goalIdentity, type GoalState } from '../core/goal.js';
import { goalKey } from './goal-facts.js';
import type { DispatchIntents } from './store/store.js';
import { inert } from '../core/inert.js';
import { fromMicros } from '../core/money.js';
import { approvedAsDefined } from '../core/task-definition.js';
import { defaultPricing, type ModelPrice } from '../llm/model-price.js';
import type { GantryConfig } from './config.js';
import type { GoalContext } from './goal-context.js';
import { holdForCaps } from './spending-caps.js';
import { gitHubStatus } from './github/github-error.js';
import type { WorkflowRun } from './github/github-port.js';

export const TASK_WORKFLOW_FILE = 'gantry-task.yml';
/** GitHub's limit on all inputs of one dispatch together. */
const INPUTS_LIMIT = 65_535;

/**
 * Gantry's id of one dispatch (goal, task, attempt). The task workflow puts it in its run name,
 * `gantry #42 T3 attempt 2 [gdf3a1c09e2-T3-a2]`, so a run can be found when GitHub does not say
 * which run a dispatch made, and an attempt is never dispatched twice.
 */
export function distinctId(s: GoalState, taskId: string, attempt: number): string {
  const goal = createHash('sha256').update(goalIdentity(s)).digest('hex').slice(0, 10);
  return `g${goal}-${taskId}-a${attempt}`;
}

/** The goal and dispatch id in a task run's name (`display_title`), if it is one. */
export function parseRunTitle(title: string): { goal: number; distinctId: string } | undefined {
  const m = /^gantry #([1-9]\d*) \S+ attempt \d+ \[(g[0-9a-f]{10}-T\d+-a\d+)\]$/.exec(title.trim());
  return m ? { goal: Number(m[1]), distinctId: m[2]! } : undefined;
}

export class DispatchError extends Error {
  override name = 'DispatchError';
}

/** The task workflow's inputs for the current attempt of task `i` (all strings, as GitHub wants). */
export function dispatchInputs(
  s: GoalState,
  i: number,
  config: GantryConfig,
): Record<string, string> {
  const spec = s.plan!.tasks[i]!;
  const t = s.tasks.at(i)!;
  // The last check before a definition leaves for the runner: exactly what was approved.
  if (!approvedAsDefined(spec, t))
    throw new DispatchError(
      `its definition is not the one a person approved (${t.approvedHash ? 'it changed after the approval' : 'it was never approved'}). Tick ${spec.id} again in the plan comment to approve it as it is now.`,
    );
  const { agent } = config;
  const inputs: Record<string, string> = {
    goal: String(s.issue),
    task_id: spec.id,
    attempt: String(t.attempt),
    // Which requirements a task covers is for people, not the agent; an Action older than
    // `covers` refuses a task that has it.
    task: JSON.stringify({ ...spec, covers: undefined }),
    base_sha: t.baseSha ?? s.lastGreen ?? '',
    distinct_id: distinctId(s, spec.id, t.attempt),
    backend: agent.backend,
    command: agent.backend === 'command' ? agent.command : '',
    model: config.llm.models.tiers[spec.tier],
    max_turns: String(agent.maxTurns),
    max_budget_usd: fromMicros(t.reservedMicros).toFixed(2),
    criteria_iterations: String(agent.criteriaIterations),
    timeout_minutes: String(agent.timeoutMinutes),
    job_timeout_minutes: String(agent.timeoutMinutes + 20),
    knowledge: JSON.stringify(s.findings ?? []),
    guidance: t.guidance ?? '',
    approver: t.approvedBy ?? s.startedBy ?? '',
    blocked_paths: config.blockedPaths.join('\n'),
    publish_partial: String(agent.publishPartial),
    // Sent only when set: a workflow older than the input would refuse an unknown one.
    ...(config.maxFileBytes !== undefined ? { max_file_bytes: String(config.maxFileBytes) } : {}),
    ...(isolationOf(s, config) === 'unisolated' ? { isolation: 'unisolated' } : {}),
    ...(config.network.allow.length ? { allowed_hosts: config.network.allow.join('\n') } : {}),
    ...pricingInput(config.llm.pricing),
    // JSON, since a rule may span lines.
    ...(config.rules.length ? { rules: JSON.stringify(config.rules) } : {}),
  };
  const size = Object.values(inputs).reduce((n, v) => n + v.length, 0);
  if (size > INPUTS_LIMIT)
    throw new DispatchError(
      `${spec.id}'s inputs take ${size} characters; GitHub allows ${INPUTS_LIMIT} for one dispatch. Shorten its description or guidance (\`/gantry replan\`)${inputs.rules ? ", or the config's `rules`" : ''}.`,
    );
  return inputs;
}

/**
 * How the attempt's agent runs. Unisolated only when the goal was made under that setting (so its
 * plan comment carries the warning) and the config still says so (tightening the config applies
 * at once); a goal made before the repository opted out stays contained.
 */
export function isolationOf(s: GoalState, config: GantryConfig): 'contained' | 'unisolated' {
  return s.settings.isolation === 'unisolated' && config.agent.isolation === 'unisolated'
    ? 'unisolated'
    : 'contained';
}

/**
 * The repository's prices that differ from Gantry's defaults, for the Action's gateway to meter
 * with (it merges them over the same defaults); nothing when there are none.
 */
function pricingInput(pricing: Readonly<Record<string, ModelPrice>>): { pricing?: string } {
  const own = Object.entries(pricing).filter(([model, price]) => {
    const d = defaultPricing[model];
    return (
      !d ||
      d.input !== price.input ||
      d.output !== price.output ||
      d.cacheRead !== price.cacheRead ||
      d.cacheWrite !== price.cacheWrite
    );
  });
  return own.length ? { pricing: JSON.stringify(Object.fromEntries(own)) } : {};
}

type Dispatch = Extract<Effect, { type: 'dispatch-task' }>;

/** The recent task runs, listed at most once per reconcile (see `dispatchOwed`). */
export interface RunListing {
  runs?: readonly WorkflowRun[] | undefined;
}

/**
 * The owed dispatches: find each attempt's run by its dispatch id (a dispatch whose answer was
 * lost in a crash, an older server's 204, the run of a task stopped before it was known), or send
 * the dispatch when the core says so (`send`: never sent, or sent and no run appeared for
 * `LOST_DISPATCH_MS`).
 *
 * With a store, each dispatch's intent is recorded there before its request is sent (one
 * statement for the round, `recordDispatchIntents`). An id recorded for the first time, of a goal
 * that began with this store, was never sent by anyone (no replica, no process before a crash):
 * no run can have it. So the recent task runs are listed (one request, once per reconcile:
 * `listing`) only when a run may exist: an attempt only looked for (`send: false`); one sent
 * before (its state says so, or its intent was already there: a crash may have come between the
 * dispatch and the state's write); a goal begun before this store (made, upgraded or replaced
 * while it ran: a dispatch of it may have gone out with no intent); and always without a store
 * or when the intents could not be recorded (then nothing is sent either: a dispatch without its
 * intent would look never sent to a later pass; the next webhook or sweep sends it).
 * An intent recorded earlier whose run is not listed (GitHub lists a new run after a moment, or
 * the dispatch never left) is taken as a dispatch sent now: it is sent again only if no run shows
 * up within `LOST_DISPATCH_MS`. An intent whose dispatch certainly did not go out (held by a cap,
 * refused) is forgotten.
 *
 * The listing shows every dispatch made before the reconcile began; a dispatch made in it is
 * recorded in the state at once (its run id, or `dispatch-sent` for a 204, which is not sent
 * again before `LOST_DISPATCH_MS`), so a later round of the same reconcile needs no new listing
 * and nothing is dispatched twice. What keeps two replicas from dispatching the same attempt is
 * the goal lock (one replica reconciles a goal at a time, `GantryStore.goalLock`; PGlite serves
 * one process); of two racing on an id all the same, only one has it fresh.
 */
export async function dispatchOwed(
  g: GoalContext,
  owed: readonly Dispatch[],
  listing: RunListing = {},
): Promise<void> {
  if (owed.length === 0) return;
  if (!g.config.ok) {
    g.session.reply(
      `Gantry cannot start tasks while \`.github/gantry.yml\` is invalid:\n\n${g.config.error.problems.map((p) => `- ${inert(p, 'line')}`).join('\n')}`,
      { once: true },
    );
    return;
  }
  const intents = await recordIntents(g, owed);
  if (runMayExist(g, owed, intents))
    listing.runs ??= await g.github.listDispatchedRuns(TASK_WORKFLOW_FILE);
  const runs = listing.runs ?? [];
  const notSent: string[] = [];
  let capped: string | undefined;
  for (const e of owed) {
    const state = g.session.state!;
    const id = distinctId(state, e.taskId, e.attempt);
    const run = runs.find((r) => r.displayTitle.endsWith(`[${id}]`));
    const at = g.deps.now();
    const attempt = { taskId: e.taskId, attempt: e.attempt };
    if (run) {
      g.session.apply({ type: 'task.dispatched', at, ...attempt, runId: run.id });
      continue;
    }
    if (e.abandon) g.session.apply({ type: 'run.not-found', at, ...attempt });
    if (!e.send || intents instanceof Error) continue;
    if (typeof intents === 'object' && intents.earlier.has(id) && sentAtOf(g, e) === undefined) {
      g.session.apply({ type: 'task.dispatch-sent', at, ...attempt });
      continue;
    }
    // The repository's caps across goals; once one refuses, nothing more starts in this pass.
    capped ??= await holdForCaps(g, e.taskId, e.attempt);
    if (capped) {
      notSent.push(id);
      g.session.apply({ type: 'cap.reached', at, ...attempt, reason: capped });
      continue;
    }
    const i = state.plan!.tasks.findIndex((t) => t.id === e.taskId);
    let runId: number | undefined;
    try {
      runId = await sendDispatch(g, dispatchInputs(state, i, g.config.value));
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      notSent.push(id);
      g.session.reply(`Gantry could not start ${e.taskId}: ${refused}`, { once: true });
      continue;
    }
    g.session.apply(
      runId === undefined
        ? { type: 'task.dispatch-sent', at, ...attempt }
        : { type: 'task.dispatched', at, ...attempt, runId },
    );
  }
  await forgetIntents(g, notSent);
}

/**
 * Record the intents of the dispatches about to be sent ('none' without a store; the error when
 * the store could not record them, said in the log).
 */
async function recordIntents(
  g: GoalContext,
  owed: readonly Dispatch[],
): Promise<DispatchIntents | 'none' | Error> {
  const { store } = g.deps;
  if (!store) return 'none';
  const state = g.session.state!;
  const ids = owed.filter((e) => e.send).map((e) => distinctId(state, e.taskId, e.attempt));
  const repo = `${g.ref.owner}/${g.ref.repo}`;
  try {
    const goal = { key: goalKey(g.ref), id: goalIdentity(state) };
    return await store.recordDispatchIntents(repo, goal, ids);
  } catch (err) {
    g.deps.log?.warn(
      { err, repo, ids },
      `the store could not record dispatch intents (${(err as Error).message}): the task runs are listed and nothing is dispatched until it can`,
    );
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Intents whose dispatch certainly did not go out: a later pass need not wait for their runs. */
async function forgetIntents(g: GoalContext, ids: readonly string[]): Promise<void> {
  if (!ids.length || !g.deps.store) return;
  const repo = `${g.ref.owner}/${g.ref.repo}`;
  // Not forgotten, an intent only makes a later pass list the runs and wait for one.
  await g.deps.store
    .forgetDispatchIntents(repo, ids)
    .catch((err: unknown) =>
      g.deps.log?.warn({ err, repo, ids }, `the store could not forget dispatch intents`),
    );
}

const sentAtOf = (g: GoalContext, e: Dispatch): number | undefined => {
  const s = g.session.state!;
  return s.tasks.at(s.plan!.tasks.findIndex((t) => t.id === e.taskId))?.sentAt;
};

/** Whether a run of an owed attempt may exist (see `dispatchOwed`): then the runs are listed. */
function runMayExist(
  g: GoalContext,
  owed: readonly Dispatch[],
  intents: DispatchIntents | 'none' | Error,
): boolean {
  if (intents === 'none' || intents instanceof Error) return true;
  const state = g.session.state!;
  return owed.some(
    (e) =>
      !e.send ||
      sentAtOf(g, e) !== undefined ||
      !intents.fresh.has(distinctId(state, e.taskId, e.attempt)),
  );
}

/**
 * Send one dispatch. A task workflow older than the `rules` input refuses it (422, "Unexpected
 * inputs provided"): the config's rules were the planner's only before, so a repository that has
 * some would otherwise start no task at all until its workflow is updated. The dispatch goes
 * again without them (the first made no run), and the maintainer is told once.
 */
async function sendDispatch(
  g: GoalContext,
  inputs: Record<string, string>,
): Promise<number | undefined> {
  const send = (i: Record<string, string>) =>
    g.github.dispatchWorkflow(TASK_WORKFLOW_FILE, g.ref.defaultBranch, i);
  try {
    return await send(inputs);
  } catch (err) {
    if (inputs.rules === undefined || !unexpectedInput(err, 'rules')) throw err;
    g.session.reply(
      `The task workflow \`.github/workflows/${TASK_WORKFLOW_FILE}\` does not take the config's \`rules\` yet, so tasks run without them. Update it from Gantry's repository to give them to the agent.`,
      { once: true },
    );
    const { rules: _rules, ...older } = inputs;
    return send(older);
  }
}

/** GitHub's 422 for a dispatch input the workflow does not declare, naming `name`. */
function unexpectedInput(err: unknown, name: string): boolean {
  return (
    gitHubStatus(err) === 422 &&
    /Unexpected inputs provided/i.test((err as Error).message) &&
    (err as Error).message.includes(`"${name}"`)
  );
}

/** Why GitHub (or Gantry) refused a dispatch for good, in words for the issue; else undefined. */
function refusal(e: unknown): string | undefined {
  if (e instanceof DispatchError) return e.message;
  const status = gitHubStatus(e);
  if (status === 404 || status === 422)
    return `GitHub refused to dispatch \`.github/workflows/${TASK_WORKFLOW_FILE}\` (${status}: ${inert((e as Error).message, 'line')}). Make sure the workflow on the default branch is Gantry's current one, then comment \`/gantry resume\`.`;
  return undefined;
}
