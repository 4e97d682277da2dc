import type { ProbotOctokit } from 'probot';
import { PLAN_MARKER } from '../core/checklist/markers.js';
import { renderPlanComment } from '../core/checklist/render.js';
import { initGoal } from '../core/goal.js';
import { step } from '../core/step.js';
import { PlannerError } from '../planner/errors.js';
import type { Planner } from '../planner/planner.js';
import {
  configErrorComment,
  ConfigError,
  goalSettingsFrom,
  parseConfig,
  type GantryConfig,
} from './config.js';
import { syncStateLabels } from './labels.js';
import { gatherRepoContext } from './repo-context.js';

export interface PlanGoalInput {
  octokit: ProbotOctokit;
  owner: string;
  repo: string;
  defaultBranch: string;
  issue: { number: number; title: string; body: string; labels: string[] };
  /** The parsed `.github/gantry.yml` (undefined when there is none). */
  rawConfig: unknown;
  planner: (config: GantryConfig) => Planner;
  stateKey: string;
  serverUrl?: string | undefined;
  now: () => number;
}

/**
 * A labeled issue becomes a goal: say Gantry is planning, plan it, and replace that comment with
 * the plan (or with what went wrong and what to do). Labels follow the goal's state.
 */
export async function planGoal(i: PlanGoalInput): Promise<void> {
  const { octokit, owner, repo, issue } = i;
  let config: GantryConfig;
  try {
    config = parseConfig(i.rawConfig);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: issue.number,
      body: configErrorComment(e),
    });
    return;
  }
  const planner = i.planner(config);
  const { data: comment } = await octokit.rest.issues.createComment({
    owner,
    repo,
    issue_number: issue.number,
    body: `${PLAN_MARKER}\n### Gantry plan · 📝 planning\n\nPlanning this issue with the ${planner.label}…`,
  });
  let state = initGoal({
    repo: `${owner}/${repo}`,
    issue: issue.number,
    title: issue.title,
    at: i.now(),
    settings: goalSettingsFrom(config),
  });
  try {
    const context = await gatherRepoContext(
      octokit,
      { owner, repo, defaultBranch: i.defaultBranch },
      config,
    );
    const { value: plan } = await planner.plan({
      issue: { number: issue.number, title: issue.title, body: issue.body },
      repo: context,
      rigor: config.rigor,
    });
    state = step(state, { type: 'plan.proposed', at: i.now(), plan, version: 1 }).state;
  } catch (e) {
    if (!(e instanceof PlannerError)) throw e;
    state = step(state, {
      type: 'plan.failed',
      at: i.now(),
      reason: `${e.userMessage}\n\nThen comment \`/gantry replan\`.`,
    }).state;
  }
  const body = renderPlanComment(state, { key: i.stateKey, serverUrl: i.serverUrl });
  await octokit.rest.issues.updateComment({ owner, repo, comment_id: comment.id, body });
  await syncStateLabels(
    octokit,
    { owner, repo, number: issue.number, labels: issue.labels },
    state.labels,
  );
}
