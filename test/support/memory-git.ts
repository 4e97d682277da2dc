/**
 * The git and CI side of the in-memory GitHub: commits with the paths they change, branches, the
 * merges of the merges API (a merge commit, nothing to merge, or a conflict, by real ancestry and
 * overlapping paths), and CI that judges every sha the App merges, with check suites, check runs,
 * annotations, job logs and commit statuses.
 */

export interface MemoryCommit {
  parents: string[];
  /** Paths this commit changes (a merge commit changes none of its own). */
  files: string[];
  /** The task whose branch this commit is, for CI verdicts by content. */
  task?: string | undefined;
}

export interface MemorySuite {
  id: number;
  sha: string;
  branch: string;
  app: { id: number; slug: string; name: string };
  /** The workflow file of a GitHub Actions suite, when it matters to a test. */
  workflow?: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  runs: {
    id: number;
    name: string;
    conclusion: string | null;
    annotations: { path: string; line: number; message: string }[];
    log: string;
  }[];
}

export const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions' };
/** An app installed on the repository that gets a suite on every push but never runs anything. */
const IDLE_APP = { id: 777, slug: 'idle-checks', name: 'Idle Checks' };

export class MemoryGit {
  readonly commits = new Map<string, MemoryCommit>();
  /** Branches other than the default one: name -> sha. */
  readonly refs = new Map<string, string>();
  readonly suites: MemorySuite[] = [];
  /** Commit statuses per sha. */
  readonly statuses = new Map<string, { context: string; state: string; description: string }[]>();
  /** Every sha CI was asked to judge, in order. */
  readonly judged: string[] = [];
  /**
   * CI's answer for a merged sha, from the tasks it contains: a conclusion, or `none` for a
   * repository without CI. Default: every check passes.
   */
  ci: (sha: string, tasks: readonly string[]) => 'success' | 'failure' | 'none' | 'running' = () =>
    'success';
  /**
   * CI's answer on the base, when the App makes the goal branch there (a push runs the
   * repository's CI on it, as on GitHub). Default: green. Not counted in `judged`.
   */
  baseCi: 'success' | 'failure' | 'none' | 'running' = 'success';
  /** A ruleset forbids force pushes to every branch (GitHub answers 422). */
  refuseForcePush = false;
  /** The default branch's name and head. */
  defaultBranch = { name: 'master', sha: 'a1'.repeat(20) };
  private shas = 0;
  private ids = 500;

  constructor(
    /** A check suite completed: the webhook GitHub would send. */
    private readonly emitSuite: (suite: MemorySuite) => void,
  ) {}

  newSha(): string {
    return (++this.shas).toString(16).padStart(8, '0').padEnd(40, 'c');
  }

  /** The sha a branch points at. */
  sha(branch: string): string | undefined {
    return branch === this.defaultBranch.name ? this.defaultBranch.sha : this.refs.get(branch);
  }

  /** A branch name or a commit's sha, as the commit it names (as the merges and compare APIs take them). */
  resolve(ref: string): string | undefined {
    return (
      this.sha(ref) ?? (this.commits.has(ref) || ref === this.defaultBranch.sha ? ref : undefined)
    );
  }

  /** The Action's publish job pushes the task branch: one commit on its base. */
  pushTaskBranch(branch: string, base: string, files: string[], task: string): string {
    const sha = this.newSha();
    this.commits.set(sha, { parents: [base], files, task });
    this.refs.set(branch, sha);
    return sha;
  }

  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const todo = [sha];
    while (todo.length) {
      const s = todo.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      todo.push(...(this.commits.get(s)?.parents ?? []));
    }
    return seen;
  }

  /** Paths changed on `head` since it parted from `base`. */
  changedSince(base: string, head: string): Set<string> {
    const known = this.ancestors(base);
    const files = new Set<string>();
    for (const s of this.ancestors(head))
      if (!known.has(s)) for (const f of this.commits.get(s)?.files ?? []) files.add(f);
    return files;
  }

  /** Tasks whose commits a sha contains. */
  tasksIn(sha: string): string[] {
    return [...this.ancestors(sha)].flatMap((s) => this.commits.get(s)?.task ?? []).sort();
  }

  /** Merge `head` into `base`: a merge commit, nothing to merge, or a conflict. */
  merge(
    base: string,
    head: string,
  ): { kind: 'merged'; sha: string } | { kind: 'up-to-date' } | { kind: 'conflict' } {
    const baseSha = this.sha(base)!;
    const headSha = this.resolve(head)!;
    if (this.ancestors(baseSha).has(headSha)) return { kind: 'up-to-date' };
    const ours = this.changedSince(headSha, baseSha);
    if ([...this.changedSince(baseSha, headSha)].some((f) => ours.has(f)))
      return { kind: 'conflict' };
    const sha = this.newSha();
    this.commits.set(sha, { parents: [baseSha, headSha], files: [] });
    this.refs.set(base, sha);
    this.runCi(sha, base);
    return { kind: 'merged', sha };
  }

  /** CI on a push made by the App: a suite per app, as GitHub makes them, and its webhooks. */
  runCi(sha: string, branch: string): void {
    this.judged.push(sha);
    this.checkSuites(sha, branch, this.ci(sha, this.tasksIn(sha)));
  }

  /** The App made a branch: its push runs CI on the sha (`baseCi`). */
  pushBranch(branch: string, sha: string): void {
    this.refs.set(branch, sha);
    this.checkSuites(sha, branch, this.baseCi);
  }

  /** A commit pushed to the default branch (a fix, say): CI runs on it (`baseCi`). */
  pushDefault(files: string[]): string {
    const sha = this.newSha();
    const old = this.defaultBranch.sha;
    // The first head is known only as the default branch's: it stays a commit once it is not.
    if (!this.commits.has(old)) this.commits.set(old, { parents: [], files: [] });
    this.commits.set(sha, { parents: [old], files });
    this.defaultBranch.sha = sha;
    this.checkSuites(sha, this.defaultBranch.name, this.baseCi);
    return sha;
  }

  /** Failed checks on a sha re-run and end with `conclusion`; GitHub sends `check_suite.completed`. */
  rerunCi(sha: string, conclusion: 'success' | 'failure'): void {
    for (const s of this.suites.filter((x) => x.sha === sha && x.app.id === ACTIONS_APP.id)) {
      s.status = 'completed';
      s.conclusion = conclusion;
      for (const r of s.runs) r.conclusion = conclusion;
      this.emitSuite(s);
    }
  }

  private checkSuites(
    sha: string,
    branch: string,
    answer: 'success' | 'failure' | 'none' | 'running',
  ): void {
    const suite = (app: MemorySuite['app']): MemorySuite => ({
      id: this.ids++,
      sha,
      branch,
      app,
      status: 'queued',
      conclusion: null,
      runs: [],
    });
    this.suites.push(suite(IDLE_APP));
    if (answer === 'none') return;
    const failed = answer === 'failure';
    const running = answer === 'running';
    const actions = suite(ACTIONS_APP);
    actions.status = running ? 'in_progress' : 'completed';
    actions.conclusion = running ? null : answer;
    actions.runs.push({
      id: this.ids++,
      name: 'test',
      conclusion: running ? null : answer,
      annotations: failed
        ? [{ path: 'test/greet.test.ts', line: 3, message: 'expected "hi" to be "hello"' }]
        : [],
      log: failed ? 'npm test\nFAIL test/greet.test.ts > greets\nTests: 1 failed' : 'npm test\nok',
    });
    this.suites.push(actions);
    if (!running) this.emitSuite(actions);
  }

  /**
   * CI still running on a sha (of one branch's push, if given) finishes now; GitHub sends
   * `check_suite.completed`.
   */
  finishCi(sha: string, conclusion: 'success' | 'failure', branch?: string): void {
    const running = this.suites.filter(
      (x) => x.sha === sha && x.status === 'in_progress' && (!branch || x.branch === branch),
    );
    for (const s of running) {
      s.status = 'completed';
      s.conclusion = conclusion;
      for (const r of s.runs) r.conclusion = conclusion;
      this.emitSuite(s);
    }
  }

  checkRun(id: number) {
    return this.suites.flatMap((s) => s.runs).find((r) => r.id === id);
  }
}
