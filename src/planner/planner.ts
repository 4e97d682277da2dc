import type { RecoveryAction } from '../core/events.js';
import type { CriterionOutcome } from '../core/criteria.js';
import type { Plan, Rigor, Task } from '../core/plan.js';
import type { PlanEstimate } from './estimate.js';
import type { DraftTask } from './issue-plan.js';
import type { Finding } from './knowledge.js';
import type { CallReport } from './call-report.js';
import type { ReviewOutput } from './schemas.js';

/** What a repository looks like to the planner (the App gathers it; sizes are bounded). */
export interface RepoContext {
  fullName: string;
  /** File paths of the default branch; summarized within a size bound. */
  tree: readonly string[];
  /** GitHub cut the tree short (very large repositories). */
  treeTruncated?: boolean | undefined;
  readme?: string | undefined;
  /** Bytes per language, as GitHub reports them. */
  languages?: Readonly<Record<string, number>> | undefined;
  /** House rules from the config, given to every plan. */
  rules?: readonly string[] | undefined;
  testCommand?: string | undefined;
  /** What the tasks of the repository's earlier goals learned (kept by the App, prunable). */
  knowledge?: readonly Finding[] | undefined;
}

export interface PlanRequest {
  /** The issue as its author wrote it: untrusted. */
  issue: { number: number; title: string; body: string };
  repo: RepoContext;
  rigor: Rigor;
  /** A maintainer's feedback for a replan, with the plan it replaces. */
  feedback?: string | undefined;
  previousPlan?: Plan | undefined;
  /**
   * The tasks a person wrote in the issue (`gantry-plan`): the planner keeps them and fills only
   * the fields they leave out; Gantry takes nothing else from its answer for them.
   */
  draft?: readonly DraftTask[] | undefined;
}

export interface Result<T> {
  value: T;
  calls: CallReport[];
}

export interface AttemptRecord {
  attempt: number;
  outcome: string;
  summary?: string | undefined;
  guidance?: string | undefined;
}

export interface FailureContext {
  kind: 'agent' | 'ci' | 'no-change' | 'conflict';
  detail: string;
  failedCriteria?: readonly string[] | undefined;
  /** What the path policy refused (each names its path and how to fix it). */
  refusedPaths?: readonly string[] | undefined;
  failedChecks?: readonly string[] | undefined;
  annotations?: readonly { path: string; line?: number | undefined; message: string }[] | undefined;
  /** The end of the failed job's log; bounded by the caller and again here. */
  logTail?: string | undefined;
  /** What the attempt changed, `git diff --stat` style (paths are the agent's: untrusted). */
  diffStat?: string | undefined;
  /** The agent's own account of the attempt (its result's summary): untrusted. */
  agentSummary?: string | undefined;
}

export interface RecoveryRequest {
  plan: Plan;
  taskId: string;
  attempts: readonly AttemptRecord[];
  failure: FailureContext;
}

export interface Recovery {
  rootCause: string;
  action: RecoveryAction;
}

export interface KnowledgeRequest {
  task: Task;
  summary: string;
  diff: string;
  known: readonly Finding[];
}

export interface ReviewRequest {
  task: Task;
  diff: string;
  criteria: readonly CriterionOutcome[];
  summary?: string | undefined;
}

/**
 * Everything Gantry asks a model. Implementations: `AnthropicPlanner` (the real model) and
 * `ScriptedPlanner` (fixtures, for the offline demo and tests). Failures are `PlannerError`s.
 */
export interface Planner {
  /** Shown wherever the planner's output is shown, e.g. "Anthropic claude-opus-5-5". */
  readonly label: string;
  plan(req: PlanRequest): Promise<Result<Plan>>;
  recover(req: RecoveryRequest): Promise<Result<Recovery>>;
  /** Findings merged into `req.known`, deduplicated and bounded. */
  extractKnowledge(req: KnowledgeRequest): Promise<Result<Finding[]>>;
  review(req: ReviewRequest): Promise<Result<ReviewOutput>>;
  /** Cost and time of a plan before approval; no model call. */
  estimate(plan: Plan): PlanEstimate;
}
