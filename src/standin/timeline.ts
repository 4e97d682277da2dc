import type { Answered } from './server.js';
import type { WebhookEvent } from './webhook-payloads.js';

const short = (sha: unknown) => String(sha).slice(0, 7);

/** The tasks and titles in a plan comment's checklist. */
function planTasks(body: string): string[] {
  return [...body.matchAll(/<!-- gantry:task=(T\d+) -->\*\*T\d+\*\* (.*?)<!--/g)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
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

  constructor(
    private readonly o: {
      /** The App's login (`gantry[bot]`) and its JWT name (`gantry`). */
      app: string;
      print?: (line: string) => void;
    },
  ) {}

  private say(who: string, what: string): void {
    const at = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    const line = `${at}s  ${who.padEnd(8)} ${what}`;
    this.lines.push(line);
    this.o.print?.(line);
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
        .replace(/^gantry: land /, '')
        .replace(/ for #\d+$/, '');
      if (a.status === 201)
        this.say(GANTRY, `lands ${what} as ${short(answer.sha)}; CI runs on it`);
      else if (a.status === 204) this.say(GANTRY, `finds nothing to merge for ${what}`);
      else this.say(GANTRY, `cannot land ${what}: it conflicts with the goal branch`);
    } else if (a.method === 'PATCH' && path.startsWith('/git/refs/heads/') && body.force) {
      this.resets.add(short(body.sha));
      this.say(GANTRY, `resets ${path.slice('/git/refs/heads/'.length)} to ${short(body.sha)}`);
    } else if (a.method === 'POST' && path === '/git/refs')
      this.say(
        GANTRY,
        `creates ${String(body.ref).replace('refs/heads/', '')} at ${short(body.sha)}`,
      );
    else if (a.method === 'POST' && path === '/pulls')
      this.say(GANTRY, `opens ${body.draft ? 'draft ' : ''}pull request #${String(answer.number)}`);
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

  webhook(e: WebhookEvent): void {
    const p = e.payload;
    if (e.name === 'workflow_run' && p.action === 'requested')
      this.requested.set((p.workflow_run as { id: number }).id, Date.now());
    else if (e.name === 'workflow_run' && p.action === 'completed') {
      const run = p.workflow_run as { id: number; display_title: string; conclusion: string };
      const ms = Date.now() - (this.requested.get(run.id) ?? Date.now());
      const title = run.display_title.replace(/^gantry #\d+ /, '').replace(/ \[.*\]$/, '');
      this.say(
        'Actions',
        `run ${run.id} (${title}): ${run.conclusion} in ${(ms / 1000).toFixed(1)} s`,
      );
    } else if (e.name === 'check_suite' && p.action === 'completed') {
      const suite = p.check_suite as { head_sha: string; conclusion: string };
      this.say(
        'CI',
        `${suite.conclusion === 'success' ? 'green' : 'red'} on ${short(suite.head_sha)} (${suite.conclusion})${this.resets.has(short(suite.head_sha)) ? ', run again because the reset pushed the branch' : ''}`,
      );
    }
  }
}
