/**
 * The GitHub port: every GitHub operation the App performs, for one repository, in Gantry's
 * terms. Implementations hide REST vs GraphQL, paging and conditional requests, and fail with the
 * typed errors of `github-error.ts` (`GitHubGone`, `GitHubConflict`, ...).
 */

/** A person or app that did something on GitHub. */
export interface Actor {
  login: string;
  bot: boolean;
}

export interface Issue {
  number: number;
  open: boolean;
  title: string;
  body: string;
  labels: string[];
  htmlUrl: string;
  /** Who closed it, when it is closed (GitHub says so only when one issue is read). */
  closedBy?: Actor | undefined;
  /** GitHub lists pull requests among issues. */
  isPullRequest: boolean;
}

export interface Comment {
  id: number;
  /** GraphQL's id, for the comment's edit history. */
  nodeId?: string | undefined;
  body: string;
  htmlUrl: string;
  author?: Actor | undefined;
  /** The app that wrote it, if an app did (`performed_via_github_app`). */
  appId?: number | undefined;
}

/** An entry of an issue's timeline of events (labeled, unlabeled, renamed, closed...). */
export interface IssueEvent {
  event: string;
  /** The label, for label events. */
  label?: string | undefined;
  actor?: Actor | undefined;
  /** When it happened (ISO 8601, as GitHub gives it). */
  at?: string | undefined;
}

/** Who edited a comment, as GraphQL names them (`type` is `User`, `Bot`...). */
export type Editor = { type: string; login: string } | null;

/** A comment's edit history (GraphQL `userContentEdits`). */
export interface CommentHistory {
  /** Who wrote the comment. */
  author?: string | undefined;
  createdAt?: string | undefined;
  /** Who edited it last. */
  editor: Editor;
  edits: { editedAt: string; editor: Editor }[];
}

export interface Repository {
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  archived: boolean;
}

export interface Permission {
  /** admin, write, read or none. */
  permission: string;
  /** The role's name, which tells maintain and triage apart (may be empty). */
  roleName: string;
}

export interface Comparison {
  /** Commits on head that base does not have. */
  aheadBy: number;
  /** Commits on base that head does not have. */
  behindBy: number;
  /** Paths changed on head since it parted from base (the first page of them). */
  files: string[];
}

export interface WorkflowRun {
  id: number;
  /** The run's name (the task workflow puts its dispatch id there). */
  displayTitle: string;
  status: string;
  conclusion: string | null;
  /** Which attempt of the run this is (1, or more after a re-run), when GitHub says. */
  attempt?: number | undefined;
}

/** A job of a workflow run. */
export interface RunJob {
  id: number;
  name: string;
  conclusion: string | null;
}

export interface Artifact {
  id: number;
  name: string;
  expired: boolean;
}

export interface AppInfo {
  id: number;
  slug: string;
  name: string;
}

export interface CheckSuite {
  app?: AppInfo | undefined;
  status: string;
  conclusion: string | null;
  /** Check runs GitHub counts in the suite (0: the app runs nothing on this sha). */
  runCount: number;
}

/** A check suite with its latest check runs, as one CI report gives them. */
export interface SuiteReport extends CheckSuite {
  /** The workflow file of a GitHub Actions suite (`.github/workflows/ci.yml`), when known. */
  workflow?: string | undefined;
  /** The branch whose push made the suite, when GitHub knows it. */
  branch?: string | undefined;
  /** The suite's latest runs (its first 100; `runCount` counts them all), without their output. */
  runs: { name: string; status: string; conclusion: string | null }[];
}

/** Everything CI reported on a commit, in one read: its check suites and commit statuses. */
export interface CiReport {
  suites: SuiteReport[];
  statuses: CommitStatus[];
}

export interface CheckRun {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  summary?: string | undefined;
  app?: AppInfo | undefined;
}

export interface CommitStatus {
  context: string;
  state: string;
  description?: string | undefined;
}

export interface Annotation {
  path: string;
  line?: number | undefined;
  message: string;
}

export interface PullRequest {
  number: number;
  /** GraphQL's id (marking ready for review is GraphQL only). */
  nodeId: string;
  draft: boolean;
}

export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

/** Issues, comments, labels and reactions. */
export interface IssuesPort {
  getIssue(issue: number): Promise<Issue>;
  /** Every issue (pull requests included) with these labels, of this state, changed since. */
  listIssues(query: {
    state: 'open' | 'all';
    labels?: string | undefined;
    since?: string | undefined;
  }): Promise<Issue[]>;
  listComments(issue: number): Promise<Comment[]>;
  createComment(issue: number, body: string): Promise<Comment>;
  updateComment(commentId: number, body: string): Promise<void>;
  /** A 👍 on a comment. */
  approveComment(commentId: number): Promise<void>;
  addLabels(issue: number, labels: readonly string[]): Promise<void>;
  /** GitHubGone when the issue does not have it. */
  removeLabel(issue: number, label: string): Promise<void>;
  /** Oldest first. */
  listIssueEvents(issue: number): Promise<IssueEvent[]>;
  /**
   * When the issue's body was last edited (GraphQL `Issue.lastEditedAt`, ISO 8601); undefined
   * when it never was. Title changes are `renamed` issue events instead.
   */
  issueEditedAt(issue: number): Promise<string | undefined>;
  /** Undefined when GitHub has none, or more than `maxPages` pages of it. */
  commentHistory(nodeId: string, maxPages: number): Promise<CommentHistory | undefined>;
}

/** Files, settings and permissions of the repository. */
export interface ReposPort {
  /** The repository's config file as `context.config` reads it; undefined when there is none. */
  readConfig(path: string): Promise<unknown>;
  /** What a user may do here; GitHubGone when GitHub does not know them. */
  permission(username: string): Promise<Permission>;
  hasFile(path: string, ref: string): Promise<boolean>;
  /** Every file path at `ref`, and whether GitHub cut the list short. */
  listFiles(ref: string): Promise<{ paths: string[]; truncated: boolean }>;
  readReadme(): Promise<string>;
  listLanguages(): Promise<Record<string, number>>;
}

/** One branch of `updateBranches`: moved to `sha` (from `from`, if given), or deleted (`sha` null). */
export interface BranchUpdate {
  branch: string;
  sha: string | null;
  from?: string | undefined;
}

/** Branches, merges and comparisons. */
export interface GitPort {
  /** The sha a branch points at; GitHubGone when there is no such branch. */
  branchSha(branch: string): Promise<string>;
  /** GitHubError 422 when it exists. */
  createBranch(branch: string, sha: string): Promise<void>;
  updateBranch(branch: string, sha: string, options: { force: boolean }): Promise<void>;
  /** GitHubError 422 (or GitHubGone) when there is no such branch. */
  deleteBranch(branch: string): Promise<void>;
  /**
   * Delete several branches in one request (GraphQL `updateRefs`), atomically: every one of them,
   * or none when GitHub refuses any (one already gone, a ruleset); the failure is then what GitHub
   * answered (a GraphQL error has no status).
   */
  deleteBranches(branches: readonly string[]): Promise<void>;
  /**
   * Move and delete several branches in one request (GraphQL `updateRefs`), atomically, as
   * `deleteBranches`. A move is a fast-forward, never forced, and only from `from` when given.
   */
  updateBranches(updates: readonly BranchUpdate[]): Promise<void>;
  /**
   * Merge `head` (a branch or a commit sha) into the branch `base`: the merge commit's sha, or
   * undefined when `base` already has everything (204). GitHubConflict on a conflict, GitHubGone when a branch does not exist.
   */
  merge(merge: { base: string; head: string; message: string }): Promise<string | undefined>;
  /** `base...head`, with at most `maxFiles` changed paths. */
  compare(base: string, head: string, maxFiles: number): Promise<Comparison>;
}

/** Workflow runs, their artifacts and job logs. */
export interface ActionsPort {
  /** The newest 100 runs of a workflow started by a dispatch. */
  listDispatchedRuns(workflow: string): Promise<WorkflowRun[]>;
  /** The run's id when GitHub says it (since 2026-02; older servers do not). */
  dispatchWorkflow(
    workflow: string,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<number | undefined>;
  getRun(runId: number): Promise<WorkflowRun>;
  /** GitHubConflict when the run is already over. */
  cancelRun(runId: number): Promise<void>;
  /** The run's artifacts (its first 100), or only those named `name`. */
  listRunArtifacts(runId: number, name?: string): Promise<Artifact[]>;
  /** The artifact's zip. */
  downloadArtifact(artifactId: number): Promise<Uint8Array>;
  /** The jobs of a run (its first 100). */
  listRunJobs(runId: number): Promise<RunJob[]>;
  /** An Actions job's log; GitHubGone when it expired or never was. */
  jobLog(jobId: number): Promise<string>;
}

/** CI's reports on a commit. */
export interface ChecksPort {
  /**
   * Check suites (with their latest runs) and commit statuses of a commit, in one request;
   * GitHubGone when there is no such commit.
   */
  ciReport(sha: string): Promise<CiReport>;
  /** The latest check run of each name, with its output's summary. */
  listCheckRuns(sha: string): Promise<CheckRun[]>;
  listAnnotations(checkRunId: number, max: number): Promise<Annotation[]>;
}

/** Pull requests. */
export interface PullsPort {
  /** The open pull request from this branch, if there is one. */
  findOpenPull(head: string): Promise<PullRequest | undefined>;
  /** GitHubError 422 when GitHub refuses it (no drafts in this repository, say). */
  createPull(pull: NewPullRequest): Promise<PullRequest>;
  updatePullBody(pull: number, body: string): Promise<PullRequest>;
  markPullReady(pull: PullRequest): Promise<void>;
  /** GitHubError 422 when one of them cannot be asked. */
  requestReviewers(pull: number, reviewers: readonly string[]): Promise<void>;
}

/** Everything the App does on GitHub, for one repository. */
export interface GitHubPort
  extends IssuesPort, ReposPort, GitPort, ActionsPort, ChecksPort, PullsPort {}

/** An installation of the App: the repositories it reaches, each with its port. */
export interface Installation {
  id: number;
  repositories(): Promise<{ repository: Repository; github: GitHubPort }[]>;
}

/** The App itself, for sweeps over every installation. */
export interface GitHubApp {
  installations(): Promise<Installation[]>;
}
