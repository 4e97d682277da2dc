import type { GoalState, TaskRun, TaskStatus } from '../goal.js';
import { formatUsd, fromMicros } from '../money.js';
import type { Task } from '../plan.js';
import {
  COMMENT_LIMIT,
  DESC_END,
  PLAN_MARKER,
  START_MARKER,
  TITLE_END,
  descMarker,
  taskMarker,
} from './markers.js';
import { renderMermaid } from './mermaid.js';
import { encodeState } from './signed-state.js';

export const STATUS_BADGE: Record<TaskStatus, string> = {
  proposed: '⚪ proposed',
  approved: '☑️ approved',
  excluded: '➖ excluded',
  queued: '⏳ queued',
  running: '🏃 running',
  landing: '🛬 landing',
  validating: '🔎 CI',
  done: '✅ done',
  failed: '❌ failed',
  retrying: '🔁 retrying',
  'needs-human': '🙋 needs a human',
  blocked: '⛔ blocked',
  skipped: '⏭️ skipped',
  cancelled: '🚫 cancelled',
};

const GOAL_BADGE: Record<GoalState['status'], string> = {
  planning: '📝 planning',
  'awaiting-approval': '👀 awaiting approval',
  running: '🏃 running',
  paused: '⏸️ paused',
  done: '✅ done',
  partial: '🙋 partial: needs a human',
  cancelled: '🚫 cancelled',
  failed: '❌ failed',
};

/** Mermaid pictures of more than this many tasks are unreadable, so they are left out. */
export const MERMAID_MAX_TASKS = 60;

export interface RenderOptions {
  /** HMAC key for the hidden state. */
  key: string;
  /** Base of links to runs and pull requests (GitHub Enterprise has its own). */
  serverUrl?: string;
  /** Render the smallest form even when a richer one fits (used to check a plan's size). */
  smallest?: boolean;
}

export class CommentTooLargeError extends Error {
  constructor(readonly length: number) {
    super(
      `the plan comment needs ${length} characters even with descriptions and the picture left out; GitHub allows ${COMMENT_LIMIT}. Split the goal into smaller ones.`,
    );
    this.name = 'CommentTooLargeError';
  }
}

/** How much of the plan a comment shows; the renderer steps down until the comment fits. */
type Detail = { picture: boolean; descriptions: 'full' | 'short' | 'none' };
const DETAIL_LEVELS: Detail[] = [
  { picture: true, descriptions: 'full' },
  { picture: false, descriptions: 'full' },
  { picture: false, descriptions: 'short' },
  { picture: false, descriptions: 'none' },
];

/** Render the plan comment: checklist, progress, details, picture, help and the signed state. */
export function renderPlanComment(state: GoalState, options: RenderOptions): string {
  const stateBlock = encodeState(state, options.key);
  let body = '';
  for (const detail of options.smallest ? DETAIL_LEVELS.slice(-1) : DETAIL_LEVELS) {
    body = renderBody(state, options, detail, stateBlock);
    if (body.length <= COMMENT_LIMIT) return body;
  }
  throw new CommentTooLargeError(body.length);
}

function renderBody(s: GoalState, o: RenderOptions, detail: Detail, stateBlock: string): string {
  const plan = s.plan;
  const server = o.serverUrl ?? 'https://github.com';
  const out: string[] = [
    PLAN_MARKER,
    `### Gantry plan${plan ? ` · v${s.planVersion}` : ''} · ${GOAL_BADGE[s.status]}${s.pausedFor ? ` (${s.pausedFor})` : ''}`,
    '',
  ];
  out.push(`**Goal:** ${escapeInline(plan?.goal.title ?? s.title)}`, '');
  if (plan) out.push(progressLine(s, server), '');
  if (s.note)
    out.push(
      ...neutralize(s.note)
        .split('\n')
        .map((l) => `> ${l}`),
      '',
    );
  if (plan) {
    const before = s.status === 'awaiting-approval' || s.status === 'planning';
    const wouldBlock = before
      ? blockedBeforeStart(plan.tasks, s.tasks.toArray())
      : new Map<number, string>();
    plan.tasks.forEach((t, i) =>
      out.push(taskLine(t, s.tasks.at(i)!, s, server, wouldBlock.get(i))),
    );
    const started = s.startedAt !== undefined;
    out.push(
      `- [${started ? 'x' : ' '}] ${START_MARKER}**Start** ${started ? `(started by ${s.startedBy ? `@${s.startedBy}` : 'auto-approval'})` : '— tick the tasks to run, then tick this box'}`,
      '',
    );
    if (detail.descriptions !== 'none') out.push(descriptions(plan.tasks, detail.descriptions), '');
    if (
      plan.phases?.length ||
      plan.openQuestions?.length ||
      plan.risks?.length ||
      plan.testStrategy
    )
      out.push(extras(plan), '');
    if (detail.picture && plan.tasks.length <= MERMAID_MAX_TASKS)
      out.push(
        renderMermaid(
          plan.tasks,
          s.tasks.map((t) => t.status),
        ),
        '',
      );
  }
  out.push(HELP, '', stateBlock);
  return out.join('\n');
}

function progressLine(s: GoalState, server: string): string {
  const counted = s.tasks.length - s.counts.excluded;
  const parts = [
    `**Progress:** ${s.counts.done + s.counts.skipped}/${counted} done`,
    `${formatUsd(fromMicros(s.budget.spentMicros))} spent${s.budget.reservedMicros ? ` (+${formatUsd(fromMicros(s.budget.reservedMicros))} reserved)` : ''} of ${formatUsd(fromMicros(s.budget.capMicros))}`,
  ];
  if (s.startedAt !== undefined)
    parts.push(`elapsed ${duration((s.finishedAt ?? s.now) - s.startedAt)}`);
  if (s.pr.number) parts.push(`PR [#${s.pr.number}](${server}/${s.repo}/pull/${s.pr.number})`);
  if (s.breaker !== 'closed') parts.push(`breaker ${s.breaker}`);
  return parts.join(' · ');
}

function taskLine(
  t: Task,
  run: TaskRun,
  s: GoalState,
  server: string,
  wouldBlock: string | undefined,
): string {
  const ticked = !['proposed', 'excluded'].includes(run.status);
  const deps = t.dependsOn.length
    ? `after ${t.dependsOn.slice(0, 4).join(', ')}${t.dependsOn.length > 4 ? ` +${t.dependsOn.length - 4}` : ''}`
    : 'first';
  let status = wouldBlock ? `⛔ blocked until ${wouldBlock} is ticked` : STATUS_BADGE[run.status];
  if (run.attempt > 1 || (run.attempt === 1 && run.status === 'retrying'))
    status += ` · attempt ${run.attempt}`;
  if (run.runId !== undefined && run.status !== 'cancelled')
    status += ` · [run](${server}/${s.repo}/actions/runs/${run.runId})`;
  if (run.spentMicros > 0) status += ` · ${formatUsd(fromMicros(run.spentMicros))}`;
  if (run.reason && ['failed', 'needs-human', 'blocked'].includes(run.status))
    status += ` · ${escapeInline(truncate(run.reason, 160))}`;
  return `- [${ticked ? 'x' : ' '}] ${taskMarker(t.id)}**${t.id}** ${escapeInline(t.title)}${TITLE_END} · ${deps} · ${t.tier} · ${status}`;
}

/** Before Start, an approved task that depends on a task not ticked would be blocked. */
function blockedBeforeStart(tasks: readonly Task[], runs: readonly TaskRun[]): Map<number, string> {
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const memo = new Map<number, string | null>();
  const holder = (i: number): string | null => {
    if (memo.has(i)) return memo.get(i)!;
    memo.set(i, null);
    let found: string | null = null;
    for (const dep of tasks[i]!.dependsOn) {
      const j = index.get(dep);
      if (j === undefined) continue;
      if (runs[j]!.status !== 'approved') found = dep;
      else found = holder(j);
      if (found) break;
    }
    memo.set(i, found);
    return found;
  };
  const out = new Map<number, string>();
  runs.forEach((r, i) => {
    const h = r.status === 'approved' ? holder(i) : null;
    if (h) out.set(i, h);
  });
  return out;
}

function descriptions(tasks: readonly Task[], mode: 'full' | 'short'): string {
  const parts = ['<details><summary>Task details</summary>', ''];
  for (const t of tasks) {
    const text = mode === 'full' ? t.description : truncate(t.description, 200);
    parts.push(
      `**${t.id}** · ${t.tier} · ~${t.estimate} min${t.scope.length ? ` · scope: ${t.scope.map((p) => `\`${p}\``).join(', ')}` : ''}`,
      '',
    );
    // Shortened text carries no edit markers: an edit of it must not replace the full description.
    if (mode === 'full') parts.push(descMarker(t.id), neutralize(text), DESC_END, '');
    else parts.push(neutralize(text), '');
  }
  parts.push('</details>');
  return parts.join('\n');
}

function extras(plan: NonNullable<GoalState['plan']>): string {
  const parts = ['<details><summary>Plan notes</summary>', ''];
  if (plan.phases?.length)
    parts.push(
      '**Phases**',
      ...plan.phases.map((p) => `- ${escapeInline(p.name)}: ${p.tasks.join(', ')}`),
      '',
    );
  if (plan.openQuestions?.length)
    parts.push('**Open questions**', ...plan.openQuestions.map((q) => `- ${escapeInline(q)}`), '');
  if (plan.risks?.length)
    parts.push(
      '**Risks**',
      ...plan.risks.map((r) => `- ${escapeInline(r.risk)} → ${escapeInline(r.mitigation)}`),
      '',
    );
  if (plan.testStrategy) parts.push('**Test strategy**', '', neutralize(plan.testStrategy), '');
  parts.push('</details>');
  return parts.join('\n');
}

const HELP = [
  '<details><summary>Commands</summary>',
  '',
  'Comment `/gantry <verb>`: `approve` (all tasks), `start`, `replan <feedback>`, `retry T3`, `skip T3`, `pause`, `resume`, `cancel`, `status`, `help`.',
  'Anyone may run `status` and `help` (answered once for people without write access); ticking boxes and every other command need write, maintain or admin access.',
  '',
  '</details>',
].join('\n');

/**
 * Text from outside (issue titles, agent summaries, CI output, model answers) must never open an
 * HTML comment: that is where Gantry's hidden markers and state live.
 */
export function neutralize(text: string): string {
  return text.replace(/<!--/g, '&lt;!--').replace(/--!?>/g, '--&gt;');
}

function escapeInline(text: string): string {
  return neutralize(text.replace(/\r?\n/g, ' '));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function duration(ms: number): string {
  const min = Math.max(0, Math.floor(ms / 60_000));
  if (min < 60) return `${min}m`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h}h ${min % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}
