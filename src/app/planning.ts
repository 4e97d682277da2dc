import { initGoal, type GoalState } from '../core/goal.js';
import { issueTextHash } from '../core/issue-goal.js';
import { formatUsd, fromMicros, toMicros } from '../core/money.js';
import { nextGoalBranch } from '../core/names.js';
import { PlannerError } from '../planner/errors.js';
import { goalSettingsFrom } from './config.js';
import { charge } from './charges.js';
import type { GoalContext } from './goal-context.js';
import { transient } from './goal-workers.js';
import { gatherRepoContext } from './repo-context.js';
import { missingWorkflowHelp, TASK_WORKFLOW } from './start-goal.js';

const REPLAN_HINT = 'Then comment `/gantry replan`.';

/** A new goal for the issue, in planning, with the settings of the repository's config. */
export function newGoalState(g: GoalContext): GoalState {
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
  const planned = state.budget.issuePlanningMicros ?? 0;
  const cap = toMicros(config.budget.planningPerIssueUsd);
  if (planned >= cap) {
    failed(
      `Planning this issue has cost ${formatUsd(fromMicros(planned))} so far (plans and replans, across cancels and relabels), which reaches the ${formatUsd(fromMicros(cap))} cap per issue, so Gantry did not ask the planner again. To plan it anyway, raise \`budget.planningPerIssueUsd\` in \`.github/gantry.yml\` on the default branch.`,
    );
    return;
  }
  try {
    const planner = g.deps.planner(config);
    const repo = await gatherRepoContext(g.github, g.ref, config).catch((e: unknown) => {
      if (transient(e)) throw e; // the job is tried again
      throw new RepoUnreadable(e);
    });
    const { value: plan, calls } = await planner.plan({
      issue: { number: g.ref.issue, title: issue.title, body: issue.body },
      repo,
      rigor: config.rigor,
      feedback: state.replanFeedback,
      previousPlan: state.plan,
    });
    charge(g, 'plan', calls);
    const r = session.apply({
      type: state.plan ? 'plan.replaced' : 'plan.proposed',
      at: g.deps.now(),
      plan,
      version: state.planVersion + 1,
      // The text the planner was given: what auto-approval checks the plan against.
      textHash: issueTextHash(issue.title, issue.body),
    });
    if (r.ignored) failed(`The plan could not be used: ${r.ignored.message}.`);
    else if (!repo.tree.includes(TASK_WORKFLOW) && !repo.treeTruncated)
      session.reply(missingWorkflowHelp(g.ref.defaultBranch), { once: true });
  } catch (e) {
    if (e instanceof RepoUnreadable) failed(e.message);
    else if (e instanceof PlannerError) {
      charge(g, 'plan', e.calls);
      failed(e.userMessage);
    } else throw e;
  }
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
