import type { CheckSuite } from './ci-runner.js';
import type { FailedCriterion } from './failed-criteria.js';
import { oneLine, runOutcome, type RunOutcome } from './run-outcome.js';
import type { Answered } from './server.js';
import type { WebhookEvent } from './webhook-payloads.js';
import type { WorkflowRun } from './workflow-run.js';

const short = (sha: unknown) => String(sha).slice(0, 7);

/** The tasks and titles in a plan comment's checklist. */
function planTasks(body: string): string[] {
  return [...body.matchAll(/<!-- gantry:task=(T\d+) -->\*\*T\d+\*\* (.*?)<!--/g)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
}

/** How many lines of a red check's log the timeline and the page show. */
export const LOG_LINES = 12;

/** A task run as the timeline told it: its task, the agent's outcome and how long it took. */
export interface RunLine extends RunOutcome {
  id: number;
  task: string | undefined;
  attempt: number | undefined;
  ms: number;
  line: string;
}

/** A CI verdict as the timeline told it, with the failing check and its log's first lines. */
export interface CiLine {
  sha: string;
  conclusion: string;
  /** The task whose landing (or the reset after it) this CI judged; undefined for the base. */
  task: string | undefined;
  ms: number;
  failed: { check: string; summary: string; log: string[] } | undefined;
  line: string;
}

/** Where the timeline reads a finished run's artifacts and a CI run's log (the stand-in). */
export interface TimelineSources {
  run: (id: number) => WorkflowRun | undefined;
  suite: (id: number) => CheckSuite | undefined;
}

/** The first lines of a check's log, after the lines the stand-in puts first (Node, time limit). */
export function logHead(log: string, n = LOG_LINES): string[] {
  const lines = log.split('\n');
  const limit = lines.slice(0, 3).findIndex((l) => l.startsWith('Time limit: '));
  return lines
    .slice(limit + 1)
    .filter((l) => l.trim())
    .slice(0, n);
}

/** How many failed criteria a run line names; the rest are counted. */
const NAMED_CRITERIA = 3;

/**
 * The failed criteria of a run, as its line says them (each with its kind and what it checked),
 * and the first lines of the output of the first one that has output, as red CI shows its log.
 */
export function criteriaSaid(
  failed: readonly FailedCriterion[],
): { said: string; output: string[] } | undefined {
  if (!failed.length) return undefined;
  const named = failed
    .slice(0, NAMED_CRITERIA)
    .map((f) => `criterion ${f.path} (${f.kind}) failed: ${oneLine(f.said)}`);
  const more = failed.length - NAMED_CRITERIA;
  return {
    said: `${named.join('; ')}${more > 0 ? `; ${more} more failed` : ''}`,
    output: failed.find((f) => f.output.length)?.output.slice(0, LOG_LINES) ?? [],
  };
}

/**
 * What happened on the stand-in, as lines a person can follow: what people did, what the App
 * did (plan, dispatches, landings, resets, the pull request) and what GitHub reported (task runs,
 * CI verdicts). Built from the calls the stand-in answered and the webhooks it sent.
 */
export class Timeline {
  readonly lines: string[] = [];
  private readonly started = Date.now();
  private planned = false;
  /** Shas a goal branch was reset to: the push runs CI on them again. */
  private readonly resets = new Set<string>();
  /** When each workflow run was requested (the payload's times have whole seconds only). */
  private readonly requested = new Map<number, number>();
  /** The task each landed sha (and each sha a reset went back to) belongs to. */
  private readonly shaTask = new Map<string, string>();
  /** The task of the last red CI: a reset after it re-runs CI for that task. */
  private lastRed: string | undefined;
  readonly runs: RunLine[] = [];
  readonly ci: CiLine[] = [];
  /** Set once the stand-in is up: finished runs and CI are then read for their outcome and log. */
  sources: TimelineSources | undefined;

  constructor(
    private readonly o: {
      /** The App's login (`gantry[bot]`) and its JWT name (`gantry`). */
      app: string;
      print?: (line: string) => void;
    },
  ) {}

  private say(who: string, what: string, more: string[] = []): string {
    const at = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    const line = `${at}s  ${who.padEnd(8)} ${what}`;
    for (const l of [line, ...more.map((m) => `${' '.repeat(17)}| ${m}`)]) {
      this.lines.push(l);
      this.o.print?.(l);
    }
    return line;
  }

  answered(a: Answered): void {
    const body = (a.body ?? {}) as Record<string, unknown>;
    const answer = (a.answer ?? {}) as Record<string, unknown>;
    const app = a.by === this.o.app || a.by === this.o.app.replace(/\[bot\]$/, '');
    if (a.status >= 400 && a.status !== 409) return;
    const path = a.path.replace(/^\/repos\/[^/]+\/[^/]+/, '');
    if (!app) {
      if (a.method === 'POST' && /^\/issues\/\d+\/labels$/.test(path))
        this.say(
          a.by,
          `labels the issue ${(body.labels as string[]).map((l) => `\`${l}\``).join(', ')}`,
        );
      else if (a.method === 'PATCH' && path.startsWith('/issues/comments/')) {
        const ticked = [
          ...String(body.body).matchAll(/^- \[x\] <!-- gantry:(?:task=(T\d+)|start) -->/gm),
        ];
        this.say(
          a.by,
          `ticks ${ticked.map((m) => m[1] ?? 'Start').join(', ') || 'nothing'} in the plan comment`,
        );
      } else if (a.method === 'POST' && /^\/issues\/\d+\/comments$/.test(path))
        this.say(a.by, `comments \`${String(body.body).split('\n')[0]}\``);
      return;
    }
    const GANTRY = 'Gantry';
    const text = String(body.body);
    const plan = text.includes('<!-- gantry:plan -->');
    if (plan && !this.planned && planTasks(text).length) {
      this.planned = true;
      this.say(GANTRY, `posts the plan: ${planTasks(text).join(' · ')}`);
    } else if (a.method === 'POST' && /^\/issues\/\d+\/comments$/.test(path)) {
      this.say(
        GANTRY,
        plan
          ? 'posts a placeholder plan comment while it plans'
          : `replies: ${text.split('\n')[0]!.slice(0, 140)}`,
      );
    } else if (a.method === 'POST' && path.endsWith('/dispatches')) {
      const inputs = body.inputs as Record<string, string>;
      this.say(
        GANTRY,
        `dispatches ${inputs.task_id} attempt ${inputs.attempt} on ${short(inputs.base_sha)}${answer.workflow_run_id ? ` (run ${answer.workflow_run_id as number})` : ''}${inputs.guidance ? `, told: ${inputs.guidance.split('\n')[0]!.slice(0, 120)}` : ''}`,
      );
    } else if (a.method === 'POST' && path === '/merges') {
      const what = String(body.commit_message)
        .split('\n')[0]!
        .replace(/^gantry: land /, '')
        .replace(/ for #\d+$/, '');
      const into = String(body.base);
      if (a.status === 201) {
        this.shaTask.set(short(answer.sha), what.split(' ')[0]!);
        this.say(GANTRY, `merges ${what} into ${into} as ${short(answer.sha)}; CI runs on it`);
      } else if (a.status === 204) this.say(GANTRY, `finds nothing to merge for ${what}`);
      else this.say(GANTRY, `cannot land ${what}: it conflicts with ${into}`);
    } else if (a.method === 'PATCH' && path.startsWith('/git/refs/heads/') && !body.force) {
      if (a.status === 200)
        this.say(
          GANTRY,
          `fast-forwards ${path.slice('/git/refs/heads/'.length)} to ${short(body.sha)}: CI is green there and on every candidate before it`,
        );
    } else if (a.method === 'PATCH' && path.startsWith('/git/refs/heads/') && body.force) {
      this.resets.add(short(body.sha));
      if (this.lastRed) this.shaTask.set(short(body.sha), this.lastRed);
      this.say(GANTRY, `resets ${path.slice('/git/refs/heads/'.length)} to ${short(body.sha)}`);
    } else if (a.method === 'POST' && path === '/git/refs')
      this.say(
        GANTRY,
        `creates ${String(body.ref).replace('refs/heads/', '')} at ${short(body.sha)}`,
      );
    else if (a.method === 'POST' && path === '/pulls')
      this.say(GANTRY, `opens ${body.draft ? 'draft ' : ''}pull request #${String(answer.number)}`);
    else if (path === '/graphql' && /updateRefs/.test(String(body.query)) && !answer.errors)
      this.refsUpdated(body);
    else if (path === '/graphql' && /markPullRequestReadyForReview/.test(JSON.stringify(body)))
      this.say(GANTRY, 'marks the pull request ready for review');
    else if (a.method === 'POST' && path.endsWith('/requested_reviewers'))
      this.say(
        GANTRY,
        `asks ${(body.reviewers as string[]).map((r) => `@${r}`).join(', ')} to review`,
      );
    else if (a.method === 'POST' && path.endsWith('/cancel'))
      this.say(GANTRY, `cancels run ${path.split('/').at(-2)}`);
  }

  /** The goal branch moved (and stale candidate refs deleted) in one GraphQL `updateRefs`. */
  private refsUpdated(body: Record<string, unknown>): void {
    const input = (body.variables as { input?: { refUpdates?: unknown } } | undefined)?.input;
    const updates = (input?.refUpdates ?? []) as { name: string; afterOid: string }[];
    const moved = updates.filter((u) => !/^0+$/.test(u.afterOid));
    const deleted = updates.length - moved.length;
    for (const u of moved)
      this.say(
        'Gantry',
        `fast-forwards ${u.name.replace(/^refs\/heads\//, '')} to ${short(u.afterOid)}: CI is green there and on every candidate before it${deleted ? ` (and deletes ${deleted} candidate ref${deleted === 1 ? '' : 's'} it no longer needs)` : ''}`,
      );
  }

  webhook(e: WebhookEvent): void {
    const p = e.payload;
    if (e.name === 'workflow_run' && p.action === 'requested')
      this.requested.set((p.workflow_run as { id: number }).id, Date.now());
    else if (e.name === 'workflow_run' && p.action === 'completed')
      this.runCompleted(
        p.workflow_run as { id: number; display_title: string; conclusion: string },
      );
    else if (e.name === 'check_suite' && p.action === 'completed')
      this.ciCompleted(
        p.check_suite as { id: number; head_sha: string; conclusion: string; created_at: string },
      );
  }

  /** A task run ended: the agent's outcome (never the workflow's "success" for a failed agent). */
  private runCompleted(w: { id: number; display_title: string; conclusion: string }): void {
    const ms = Date.now() - (this.requested.get(w.id) ?? Date.now());
    const title = w.display_title.replace(/^gantry #\d+ /, '').replace(/ \[.*\]$/, '');
    const m = /^(\S+) attempt (\d+)$/.exec(title);
    const run = this.sources?.run(w.id);
    const o: RunOutcome = run
      ? runOutcome(run)
      : w.conclusion === 'success'
        ? { outcome: 'success', reason: undefined }
        : { outcome: 'failure', reason: `the run ended ${w.conclusion}` };
    const c = criteriaSaid(o.criteria ?? []);
    const why = [o.reason, c?.said].filter(Boolean).join('; ');
    const line = this.say(
      'Actions',
      `run ${w.id} (${title}): ${o.outcome}${why ? ` (${why})` : ''} in ${(ms / 1000).toFixed(1)} s${c?.output.length ? `; its output:` : ''}`,
      c?.output,
    );
    this.runs.push({
      ...o,
      id: w.id,
      task: m?.[1],
      attempt: m ? Number(m[2]) : undefined,
      ms,
      line,
    });
  }

  /** A CI verdict; a red one names its failing check and shows the first lines of its log. */
  private ciCompleted(s: { id: number; head_sha: string; conclusion: string }): void {
    const sha = short(s.head_sha);
    const suite = this.sources?.suite(s.id);
    const task = this.shaTask.get(sha);
    const green = s.conclusion === 'success';
    if (!green) this.lastRed = task;
    const bad = suite?.runs.find((r) => r.conclusion !== 'success');
    const failed = bad && {
      check: bad.name,
      summary: oneLine(bad.summary),
      log: logHead(bad.log),
    };
    const line = this.say(
      'CI',
      `${green ? 'green' : 'red'} on ${sha} (${s.conclusion})${task ? ` for ${task}` : ''}${this.resets.has(sha) ? ', run again because the reset pushed the branch' : ''}${failed ? `: check \`${failed.check}\` failed: ${failed.summary}${failed.log.length ? '; its log begins:' : ''}` : ''}`,
      failed?.log,
    );
    const ms = suite ? (suite.runs.at(-1)?.completedAt ?? suite.createdAt) - suite.createdAt : 0;
    this.ci.push({ sha, conclusion: s.conclusion, task, ms, failed, line });
  }
}
