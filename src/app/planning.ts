import { goalIdentity, initGoal, type GoalState } from '../core/goal.js';
import { issueTextHash } from '../core/issue-goal.js';
import { formatUsd, fromMicros, toMicros } from '../core/money.js';
import { nextGoalBranch } from '../core/names.js';
import type { Plan } from '../core/plan.js';
import { PlannerError, PlannerTransientError } from '../planner/errors.js';
import {
  completeIssuePlan,
  ISSUE_PLAN_BLOCK,
  missingFields,
  needsPlanner,
  readIssuePlan,
  type DraftTask,
} from '../planner/issue-plan.js';
import type { PlanRequest } from '../planner/planner.js';
import { goalSettingsFrom } from './config.js';
import { charge } from './charges.js';
import type { GoalContext } from './goal-context.js';
import { goalKey } from './goal-facts.js';
import { transient } from './goal-workers.js';
import { gatherRepoContext } from './repo-context.js';
import { repoKnowledge } from './repo-knowledge.js';
import { missingWorkflowHelp, TASK_WORKFLOW } from './start-goal.js';

const REPLAN_HINT = 'Then comment `/gantry replan`.';
/**
 * Where a maintainer's text for a goal without a plan (`/gantry plan <text>`, or a replan's
 * feedback after planning failed) starts in the issue text the planner is given.
 */
export const PLAN_TEXT_HEADING = '### Added by a maintainer';

/**
 * Begin a new goal for the issue (`newGoalState`) in the session. The store records that it began
 * with it before anything of it is written or dispatched: an intent it lacks for one of the goal's
 * dispatches is then a dispatch never sent (`dispatchOwed`). Not recorded (the store down), the
 * goal's runs are looked for before each dispatch, as without a store.
 */
export async function beginGoal(
  g: GoalContext,
  shape: (s: GoalState) => GoalState = (s) => s,
): Promise<void> {
  const state = shape(newGoalState(g));
  const key = goalKey(g.ref);
  await g.deps.store
    ?.goalBegun(key, goalIdentity(state))
    .catch((err: unknown) =>
      g.deps.log?.warn(
        { err, goal: key },
        `goal ${key}: the store could not record that the goal began (${(err as Error).message}); its runs are looked for before each dispatch`,
      ),
    );
  g.session.begin(state);
}

/** A new goal for the issue, in planning, with the settings of the repository's config. */
function newGoalState(g: GoalContext): GoalState {
  if (!g.config.ok) throw g.config.error;
  const { issue } = g.session.facts;
  const state = initGoal({
    repo: `${g.ref.owner}/${g.ref.repo}`,
    issue: g.ref.issue,
    title: issue.title,
    at: g.deps.now(),
    settings: goalSettingsFrom(g.config.value, issue.labels),
    id: g.deps.newGoalId(),
  });
  // An earlier goal that started keeps its branch and PR: this one gets a branch of its own.
  const earlier = g.session.state;
  const branch = earlier?.startedAt !== undefined ? nextGoalBranch(earlier.branch) : state.branch;
  // Planning the issue again costs from what planning it has cost so far. A state written before
  // planning was counted apart counts all its planner spending.
  const planned = earlier ? (earlier.budget.issuePlanningMicros ?? earlier.plannerMicros ?? 0) : 0;
  const budget = { ...state.budget, issuePlanningMicros: planned };
  return { ...state, branch, budget, note: 'Gantry is planning this issue…' };
}

/**
 * The goal is in planning (new, replanning, or interrupted by a restart): ask the planner and put
 * its plan, or what went wrong and what to do, into the goal.
 */
export async function runPlanner(g: GoalContext): Promise<void> {
  const { session } = g;
  const state = session.state!;
  const failed = (reason: string) =>
    session.apply({ type: 'plan.failed', at: g.deps.now(), reason: `${reason}\n\n${REPLAN_HINT}` });
  if (!g.config.ok) {
    failed(g.config.error.message);
    return;
  }
  const config = g.config.value;
  const { issue } = session.facts;
  const written = readIssuePlan(issue.body);
  if (written && !written.ok) {
    failed(
      `The plan written in the issue (its \`${ISSUE_PLAN_BLOCK}\` block) is invalid:\n${written.problems.map((p) => `- ${p}`).join('\n')}\n\nFix the block in the issue body.`,
    );
    return;
  }
  const spent = state.budget.issuePlanningMicros ?? 0;
  const cap = toMicros(config.budget.planningPerIssueUsd);
  if (spent >= cap) {
    failed(
      `Planning this issue has cost ${formatUsd(fromMicros(spent))} so far (plans and replans, across cancels and relabels), which reaches the ${formatUsd(fromMicros(cap))} cap per issue, so Gantry did not ask the planner again. To plan it anyway, raise \`budget.planningPerIssueUsd\` in \`.github/gantry.yml\` on the default branch.`,
    );
    return;
  }
  try {
    const planner = g.deps.planner(config);
    const repo = await gatherRepoContext(g.github, g.ref, config).catch((e: unknown) => {
      if (transient(e)) throw e; // the job is tried again
      throw new RepoUnreadable(e);
    });
    repo.knowledge = await repoKnowledge(g);
    // Without a plan, there is nothing for feedback to be about: the text is part of the issue.
    const added = state.plan ? undefined : state.replanFeedback;
    const request: PlanRequest = {
      issue: {
        number: g.ref.issue,
        title: issue.title,
        body: added ? `${issue.body}\n\n${PLAN_TEXT_HEADING}\n\n${added}` : issue.body,
      },
      repo,
      rigor: config.rigor,
      feedback: added ? undefined : state.replanFeedback,
      previousPlan: state.plan,
      ...(written ? { draft: written.tasks } : {}),
    };
    let plan: Plan;
    if (written) {
      // A person wrote the tasks: the planner is asked only for what they left out.
      let planned: Plan | undefined;
      if (needsPlanner(written.tasks, config.rigor)) {
        const r = await planner.plan(request);
        charge(g, 'plan', r.calls);
        planned = r.value;
      }
      const done = completeIssuePlan({
        tasks: written.tasks,
        goal: { title: issue.title.replace(/\s+/g, ' ').trim().slice(0, 256), body: '' },
        rigor: config.rigor,
        planned,
      });
      if (!done.ok) {
        failed(
          `The plan written in the issue (its \`${ISSUE_PLAN_BLOCK}\` block) cannot be used:\n${done.problems.map((p) => `- ${p}`).join('\n')}\n\nFix the block in the issue body.`,
        );
        return;
      }
      plan = done.plan;
    } else {
      const { value, calls } = await planner.plan(request);
      charge(g, 'plan', calls);
      plan = value;
    }
    const r = session.apply({
      type: state.plan ? 'plan.replaced' : 'plan.proposed',
      at: g.deps.now(),
      plan,
      version: state.planVersion + 1,
      // The text the planner was given: what auto-approval checks the plan against.
      textHash: issueTextHash(issue.title, issue.body),
    });
    if (r.ignored) {
      failed(`The plan could not be used: ${r.ignored.message}.`);
      return;
    }
    if (written) session.reply(writtenPlanNote(written.tasks), { once: true });
    if (!repo.tree.includes(TASK_WORKFLOW) && !repo.treeTruncated)
      session.reply(missingWorkflowHelp(g.ref.defaultBranch), { once: true });
  } catch (e) {
    if (e instanceof RepoUnreadable) failed(e.message);
    else if (e instanceof PlannerTransientError) {
      charge(g, 'plan', e.calls);
      deferOrFail(g, e, failed);
    } else if (e instanceof PlannerError) {
      charge(g, 'plan', e.calls);
      failed(e.userMessage);
    } else throw e;
  }
}

/**
 * How long planning waits after each passing failure (an outage, rate limits, a proxy's page)
 * before the planner is asked again; after the last, planning fails for good.
 */
export const PLAN_RETRY_DELAYS_MS = [1, 2, 5, 10, 20, 30].map((m) => m * 60_000);

/** Whether a goal in planning waits for its next try. */
export function planWaits(g: GoalContext): boolean {
  const retry = g.session.state?.planRetry;
  return retry !== undefined && g.deps.now() < retry.retryAt;
}

/** A passing planner failure: keep planning and try again later (the sweep comes back), or give up. */
function deferOrFail(
  g: GoalContext,
  e: PlannerTransientError,
  failed: (reason: string) => void,
): void {
  const what = e.userMessage.replace(/\s*(Gantry|It) will try again later\.$/, '');
  const tried = (g.session.state!.planRetry?.attempts ?? 0) + 1;
  const wait = PLAN_RETRY_DELAYS_MS[tried - 1];
  if (wait === undefined) {
    failed(`${what} Gantry asked ${tried} times over about an hour and gives up for now.`);
    return;
  }
  const retryAt = g.deps.now() + wait;
  const when = new Date(retryAt).toISOString().replace('T', ' ').slice(0, 16);
  g.session.apply({
    type: 'plan.deferred',
    at: g.deps.now(),
    reason: `${what} Gantry tries again after ${when} UTC (retry ${tried} of ${PLAN_RETRY_DELAYS_MS.length}).`,
    retryAt,
  });
}

/** What Gantry says when it takes the plan a person wrote: what the planner filled in. */
function writtenPlanNote(tasks: readonly DraftTask[]): string {
  const missing = missingFields(tasks);
  const filled = missing.length
    ? ` The planner filled in only what it left out: ${missing.map((m) => `${m.id} (${m.fields.join(', ')})`).join('; ')}.`
    : ' Nothing was left out, so the planner was not asked for tasks.';
  return `Gantry took the plan from the \`${ISSUE_PLAN_BLOCK}\` block in the issue.${filled} Review the tasks in the plan comment and tick the ones to run.`;
}

/** GitHub refused to show the repository (empty, no access): a plan cannot be made. */
class RepoUnreadable extends Error {
  constructor(cause: unknown) {
    const status = (cause as { status?: number }).status;
    super(
      `Gantry could not read the repository to plan this issue (${status ?? 'error'}: ${(cause as Error).message}). An empty repository needs a first commit; otherwise check that the App can read its contents.`,
    );
  }
}
