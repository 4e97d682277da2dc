import type { Budget } from './budget.js';
import type { TierEstimates } from './estimate.js';
import type { BreakerGate } from './breaker.js';
import { toMicros } from './money.js';
import { GoalBranch } from './names.js';
import type { FailureInfo } from './effects.js';
import type { Finding } from './findings.js';
import type { Plan, Tier } from './plan.js';
import { PersistentList } from './persistent-list.js';

export const GOAL_STATUSES = [
  'planning',
  'awaiting-approval',
  'running',
  'paused',
  'done',
  'partial',
  'cancelled',
  'failed',
] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];
/**
 * Why a paused goal waits: its own budget, a circuit breaker, a person, a spending cap of the
 * repository or installation (day, month), or a red base (CI failed on the sha the goal started
 * from); the last two only `/gantry resume` checks again.
 */
export type PauseReason = 'budget' | 'breaker' | 'user' | 'cap' | 'base';

/**
 * CI's verdict on the base, the sha the goal branch starts from, read once per goal: nothing lands
 * before it is known (tasks run meanwhile). `green`, or `none` (no CI reported within
 * `ci.timeoutMs`: a repository without CI), lets landing go on; `red` pauses the goal, and
 * `/gantry resume` asks again (`pending` from `since`).
 */
export interface BaseVerdict {
  sha: string;
  /**
   * `known-red`: red, and a person with write access chose to go on (`/gantry resume known-red`,
   * the goal is what fixes the default branch): the checks in `knownRed` judge no landing.
   */
  verdict: 'pending' | 'green' | 'red' | 'none' | 'known-red';
  /** When the verdict was (last) asked for: CI's time limit counts from here. */
  since: number;
  /** The checks that failed on a red base, for the comment. */
  failedChecks?: string[] | undefined;
  /**
   * On a `known-red` base, the checks that failed there and have failed on every landing since:
   * a red verdict whose failed checks are all among them lets the landing stand (nothing new
   * broke), and a landing that passes one of them takes it off, so it judges every later landing.
   */
  knownRed?: string[] | undefined;
}

/**
 * The goal lifecycle's status sets, declared once. A goal is `started` once Start was accepted;
 * it `runs` while running or paused; it is `open` while it can still change (a failed plan can
 * be replanned); it is `finished` when nothing more happens to it, and then a new label starts
 * a new goal on the issue (`restartable` are the finished ones a relabel replaces).
 */
export const RUNNING_STATUSES = ['running', 'paused'] as const satisfies readonly GoalStatus[];
export const OPEN_STATUSES = [
  'planning',
  'awaiting-approval',
  'running',
  'paused',
  'partial',
  'failed',
] as const satisfies readonly GoalStatus[];
export const FINISHED_STATUSES = [
  'done',
  'cancelled',
  'failed',
] as const satisfies readonly GoalStatus[];
export const RESTARTABLE_STATUSES = [
  'cancelled',
  'failed',
] as const satisfies readonly GoalStatus[];

const inSet =
  <T extends GoalStatus>(set: readonly T[]) =>
  (status: GoalStatus | undefined): status is T =>
    status !== undefined && (set as readonly GoalStatus[]).includes(status);
/** Running or paused: tasks may be going. */
export const isRunning = inSet(RUNNING_STATUSES);
/** The goal can still change: commands and budget changes apply. */
export const isOpen = inSet(OPEN_STATUSES);
/** Nothing more happens to the goal. */
export const isFinished = inSet(FINISHED_STATUSES);
/** A finished goal that a relabel of its issue replaces with a new one. */
export const isRestartable = inSet(RESTARTABLE_STATUSES);
/** The goal is the issue's live goal: a closed or unlabeled issue stops it. */
export const isLive = (status: GoalStatus | undefined): boolean =>
  isOpen(status) && status !== 'failed';

export const TASK_STATUSES = [
  'proposed',
  'approved',
  'excluded',
  'queued',
  'running',
  'landing',
  'validating',
  'done',
  'failed',
  'retrying',
  'needs-human',
  'blocked',
  'skipped',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Per-goal settings, taken from the repository's config when the goal is created. */
export interface GoalSettings {
  approval: 'required' | 'auto';
  maxParallel: number;
  /** Agent attempts per task before it needs a human. */
  maxAttempts: number;
  /** Ready landings merged together before one CI run judges them (1 = one at a time). */
  landingBatch: number;
  /**
   * Candidates in CI at once (the speculative queue's depth; 1: one landing judged at a time).
   * States signed before it existed have none: the default.
   */
  queueDepth?: number | undefined;
  ci: { policy: 'required' | 'optional'; timeoutMs: number };
  budget: { goalUsd: number; taskUsd: number; tierUsd: Record<Tier, number> };
  /**
   * Each tier's model and estimated cost, for the estimates the plan comment shows. States signed
   * before it existed have none and render without estimates.
   */
  tiers?: TierEstimates | undefined;
  /** `autoApprove`: tasks recovery adds run without ticks (config `recovery.autoApprove`). */
  recovery: { autoApprove: boolean };
  /**
   * `unisolated`: the repository opted out of containment (config `agent.isolation`), so its
   * agents run as the job's own user; the plan comment warns on every goal and every dispatch
   * says so. Absent (states signed before it existed too): contained.
   */
  isolation?: 'contained' | 'unisolated' | undefined;
}

export const defaultGoalSettings: GoalSettings = {
  approval: 'required',
  maxParallel: 3,
  maxAttempts: 3,
  landingBatch: 1,
  queueDepth: 4,
  ci: { policy: 'required', timeoutMs: 30 * 60_000 },
  budget: { goalUsd: 25, taskUsd: 5, tierUsd: { small: 0.5, medium: 2, large: 5 } },
  recovery: { autoApprove: false },
};

/**
 * A configured policy that approved a task instead of a person: the goal's `approval: auto`,
 * `recovery.autoApprove`, or a state written before approvals were bound to a definition.
 */
export type ApprovalPolicy = 'auto-approval' | 'recovery-auto-approve' | 'earlier-version';

export interface TaskRun {
  status: TaskStatus;
  /** Dispatches so far; attempt n is the n-th dispatch. */
  attempt: number;
  /** Attempts a human added with `/gantry retry`. */
  extraAttempts: number;
  runId?: number | undefined;
  /** When the dispatch of this attempt was sent, while its run is not known yet. */
  sentAt?: number | undefined;
  baseSha?: string | undefined;
  /** The commit the current attempt's publish job pushed: exactly what lands. */
  publishedSha?: string | undefined;
  landedSha?: string | undefined;
  /**
   * The hash of the definition that was approved (`taskDefinitionHash`): the task runs only while
   * its definition still has it. Any change to the definition clears it.
   */
  approvedHash?: string | undefined;
  /** The person who approved that definition. */
  approvedBy?: string | undefined;
  /** Set instead of `approvedBy` when a configured policy approved it. */
  approvedVia?: ApprovalPolicy | undefined;
  approvedAt?: number | undefined;
  /** When the current attempt was dispatched. */
  dispatchedAt?: number | undefined;
  /** Time the task's runs took, all attempts together (from dispatch to the run's end). */
  ranMs?: number | undefined;
  /** Guidance for the next attempt (recovery, conflicts), cleared once dispatched. */
  guidance?: string | undefined;
  /** Why the task is failed, blocked or needs a human. */
  reason?: string | undefined;
  /** The failure a failed task waits to hand the recovery planner. */
  failure?: FailureInfo | undefined;
  /** A question for a person, until it is posted on the issue (answered by escalation.posted). */
  asking?:
    | {
        question: string;
        mention?: string | undefined;
        /** The last failure, for the comment that asks. */
        failure?: FailureInfo | undefined;
      }
    | undefined;
  /** The cancel of a stopped task's run was sent. */
  cancelSent?: boolean | undefined;
  reservedMicros: number;
  spentMicros: number;
}

export interface LandingMember {
  task: number;
  attempt: number;
  /** The landing sequence number of its land effect: results of an earlier landing are stale. */
  n: number;
  /** The merge commit, once merged. */
  sha?: string | undefined;
}

/**
 * One candidate of the speculative queue: the tasks of a landing merged, one at a time, onto the
 * tip of the queue (the goal's green head, or the candidate before it) on a ref of its own
 * (`CandidateRef`), then judged by CI while later candidates stack on it. The goal branch moves
 * to it, by fast-forward, once it and every candidate before it are green.
 */
export interface Candidate {
  /** Its number, never reused in the goal: its ref is `gantry/<issue>/queue/<n>`. */
  n: number;
  /** The sha it is built on: the goal's last green sha, or the candidate before it. */
  on: string;
  members: LandingMember[];
  /** Index of the member whose merge is awaited; members.length once all were tried. */
  next: number;
  /** Its commit, once every member was tried and one merged: CI judges it. */
  sha?: string | undefined;
  /** When CI started on it (CI's time limit counts from here). */
  since?: number | undefined;
  /**
   * CI's verdict on it, kept until every candidate before it is judged: a red one behind a
   * candidate still in CI may be that candidate's fault, and is acted on only after it.
   */
  verdict?:
    /** `knownRed`: on a known-red base, its checks still red here (taken when it lands). */
    | { kind: 'green'; knownRed?: string[] | undefined }
    | { kind: 'red'; failedChecks: string[]; summary?: string | undefined }
    | undefined;
  ciOverdue?: boolean | undefined;
}

export interface GoalState {
  v: 1;
  /** Tells this goal from earlier ones on the same issue (the App sets a random one). */
  id?: string | undefined;
  repo: string;
  issue: number;
  title: string;
  branch: string;
  status: GoalStatus;
  pausedFor?: PauseReason | undefined;
  /** Why the goal is failed, partial or paused, for the comment. */
  note?: string | undefined;
  /**
   * `issueTextHash` of the issue text the plan was made from: auto-approval starts a plan only
   * when it equals the hash of the text as it was when a writer added the auto label.
   */
  plannedTextHash?: string | undefined;
  /** A maintainer's feedback for the plan being made (`/gantry replan <feedback>`). */
  replanFeedback?: string | undefined;
  /** Planning failed for a passing reason this many times; the planner is asked again from `retryAt`. */
  planRetry?: { attempts: number; retryAt: number } | undefined;
  settings: GoalSettings;
  plan?: Plan | undefined;
  planVersion: number;
  /** Aligned with plan.tasks (a persistent list: a step copies only what it changes). */
  tasks: PersistentList<TaskRun>;
  /** unmet[i]: dependencies of task i not yet done or skipped. */
  unmet: number[];
  /** Runnable tasks (queued or retrying, nothing unmet), highest critical-path rank first. */
  ready: number[];
  /**
   * Tasks whose run succeeded, waiting to land, in order; solo ones land alone; `pinned` ones
   * (rebuilt after a red candidate) keep their place ahead of the critical-path order.
   */
  landQueue: { task: number; solo: boolean; pinned?: boolean | undefined }[];
  /** The speculative queue: candidates in CI, oldest first; the last one may still be merging. */
  queue: Candidate[];
  /** Candidates numbered so far (refs `gantry/<issue>/queue/1..candidates`). */
  candidates?: number | undefined;
  /** Candidate refs `1..refsDeleted` are deleted (landed or dropped, no longer needed). */
  refsDeleted?: number | undefined;
  /**
   * Conflict retries held until the candidates in the queue when they conflicted (numbers up to
   * `heldAfter`) are settled, so they start from what lands.
   */
  held: number[];
  heldAfter?: number | undefined;
  counts: Record<TaskStatus, number>;
  /** Where the goal branch is, as Gantry last moved it (or made it). */
  goalHead?: string | undefined;
  /** The newest green sha: where the goal branch goes next (a fast-forward), tasks start from. */
  lastGreen?: string | undefined;
  /** Candidates landed since the goal branch last moved (it moves in steps: `advanceDue`). */
  greenSinceAdvance?: number | undefined;
  /** Absent: a goal started before the base was judged, which lands as it did then. */
  baseVerdict?: BaseVerdict | undefined;
  pr: {
    requested: boolean;
    number?: number | undefined;
    ready: boolean;
    /** GitHub shows the pull request ready for review, with its final account. */
    readyMarked?: boolean | undefined;
    /** When the goal ended partial the last time its pull request's account was rewritten. */
    accountAt?: number | undefined;
  };
  /** The goal branch exists (answered by goal-branch.created). */
  branchCreated?: boolean | undefined;
  /**
   * The goal branch must be moved (forced) to a new base: the default branch moved while the
   * base was red and nothing had landed. Red candidates never reach the goal branch.
   */
  resetPending?: { toSha: string; fromSha: string } | undefined;
  /** Task outcomes the repository's circuit breaker has not been told yet. */
  outcomes?: { taskId: string; attempt: number; ok: boolean }[] | undefined;
  /**
   * Tasks that owe outside work (a run going or to be found, a failure for the recovery planner,
   * a question to post), in plan order: a derived index, so deriving effects is not a scan.
   */
  outstanding?: number[] | undefined;
  breaker: BreakerGate;
  budget: Budget;
  labels: string[];
  /** What planner calls (plans, recoveries, reviews) cost, within `budget.spentMicros`. */
  plannerMicros?: number | undefined;
  /** Attempts that failed or were refused, with why, for the pull request's account (the latest, bounded). */
  failures?: { taskId: string; attempt: number; reason: string }[] | undefined;
  /** What finished tasks learned, handed to later tasks (bounded). */
  findings?: Finding[] | undefined;
  /**
   * Comment ids of the `/gantry` commands carried out (the latest, bounded): a webhook applied
   * again (a replica that died before marking it applied) does not carry one out twice.
   */
  commands?: number[] | undefined;
  startedBy?: string | undefined;
  createdAt: number;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  now: number;
  /** Bumped whenever what the plan comment shows changes. */
  revision: number;
  /** Land effects emitted so far: a re-landing after a reset is a new operation with a new key. */
  landings: number;
}

export function zeroCounts(): Record<TaskStatus, number> {
  return Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
}

export function initGoal(input: {
  repo: string;
  issue: number;
  title: string;
  at: number;
  settings?: GoalSettings;
  id?: string | undefined;
}): GoalState {
  const settings = input.settings ?? defaultGoalSettings;
  return {
    v: 1,
    ...(input.id !== undefined ? { id: input.id } : {}),
    repo: input.repo,
    issue: input.issue,
    title: input.title,
    branch: GoalBranch.forIssue(input.issue, input.title).toString(),
    status: 'planning',
    settings,
    planVersion: 0,
    tasks: PersistentList.empty(),
    unmet: [],
    ready: [],
    landQueue: [],
    queue: [],
    held: [],
    counts: zeroCounts(),
    pr: { requested: false, ready: false },
    breaker: 'closed',
    budget: { capMicros: toMicros(settings.budget.goalUsd), reservedMicros: 0, spentMicros: 0 },
    labels: [],
    createdAt: input.at,
    now: input.at,
    revision: 0,
    landings: 0,
  };
}

/** Which goal a state belongs to: its id, or its creation time for states without one. */
export function goalIdentity(s: Pick<GoalState, 'id' | 'createdAt'>): string {
  return s.id ?? `created-${s.createdAt}`;
}

export function maxAttemptsOf(s: GoalState, t: TaskRun): number {
  return s.settings.maxAttempts + t.extraAttempts;
}

/**
 * Whether a task owes outside work: a run to dispatch, find, collect or cancel (a stopped task
 * keeps its reservation until its run reports), a failure for the recovery planner, a question.
 */
export function owesWork(t: TaskRun): boolean {
  return (
    t.status === 'running' ||
    t.status === 'failed' ||
    t.reservedMicros > 0 ||
    t.asking !== undefined
  );
}
