import type { GoalState, PauseReason, TaskRun, TaskStatus } from '../goal.js';
import { knownRedLine } from './known-red.js';
import { formatUsd, fromMicros } from '../money.js';
import type { Task } from '../plan.js';
import { planEstimate, type TierEstimates } from '../estimate.js';
import { inert } from '../inert.js';
import { criteriaLines } from './criteria-lines.js';
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
import { requirementsSection, uncoveredWarning } from './requirements.js';
import { encodeState } from './signed-state.js';

export const STATUS_BADGE: Record<TaskStatus, string> = {
  proposed: '⚪ awaiting approval',
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

/** A pause reason the bare word would not explain in the header (the note below says more). */
const PAUSE_LABEL: Partial<Record<PauseReason, string>> = { base: 'the default branch is red' };

export interface RenderOptions {
  /** HMAC key for the hidden state. */
  key: string;
  /** Base of links to runs and pull requests (GitHub Enterprise has its own). */
  serverUrl?: string;
  /**
   * Render the smallest form that still shows the criteria of every task that may run (used to
   * check a plan's size), even when a richer one fits.
   */
  smallest?: boolean;
}

export class CommentTooLargeError extends Error {
  constructor(readonly length: number) {
    super(
      `the plan comment needs ${length} characters even with the picture, descriptions and criteria left out; GitHub allows ${COMMENT_LIMIT}. Split the goal into smaller ones.`,
    );
    this.name = 'CommentTooLargeError';
  }
}

/**
 * How much of the plan a comment shows; the renderer steps down until the comment fits. What
 * will run is cut last: the picture goes first, then descriptions; then the compact form lists
 * each task's criteria on one line and keeps run links only where a person may need to look;
 * then the criteria of tasks that are finished or will not run go, and only as a last resort
 * (said in the comment) all criteria.
 */
interface Detail {
  picture: boolean;
  descriptions: 'full' | 'short' | 'none';
  criteria: 'all' | 'open' | 'none';
  compact: boolean;
}
const DETAIL_LEVELS: Detail[] = [
  { picture: true, descriptions: 'full', criteria: 'all', compact: false },
  { picture: false, descriptions: 'full', criteria: 'all', compact: false },
  { picture: false, descriptions: 'short', criteria: 'all', compact: false },
  { picture: false, descriptions: 'none', criteria: 'all', compact: true },
  { picture: false, descriptions: 'none', criteria: 'open', compact: true },
  { picture: false, descriptions: 'none', criteria: 'none', compact: true },
];
/** The smallest level that still shows what may run: `validatePlan` measures plans with it. */
const SMALLEST = 4;

/** Statuses whose tasks are folded away: nothing more happens to them. */
const FINISHED: readonly TaskStatus[] = ['done', 'skipped'];
/** Statuses whose run a person may want to open; the compact form links only these. */
const LOOK_AT: readonly TaskStatus[] = ['running', 'failed', 'needs-human'];
/** Statuses whose tasks will not run, so they cost nothing and their criteria may be cut. */
const NOT_RUN: readonly TaskStatus[] = ['excluded', 'skipped', 'cancelled'];

/** Render the plan comment: checklist, progress, details, picture, help and the signed state. */
export function renderPlanComment(state: GoalState, options: RenderOptions): string {
  const stateBlock = encodeState(state, options.key);
  let body = '';
  for (const detail of options.smallest ? [DETAIL_LEVELS[SMALLEST]!] : DETAIL_LEVELS) {
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
    `### Gantry plan${plan ? ` · v${s.planVersion}` : ''} · ${GOAL_BADGE[s.status]}${s.pausedFor ? ` (${PAUSE_LABEL[s.pausedFor] ?? s.pausedFor})` : ''}`,
    '',
  ];
  if (s.settings.isolation === 'unisolated') out.push(UNISOLATED_WARNING, '');
  out.push(`**Goal:** ${inert(plan?.goal.title ?? s.title, 'line')}`, '');
  if (plan) {
    out.push(...estimateLines(s), progressLine(s, server));
    const now = nowLine(s);
    if (now) out.push('', now);
    out.push('');
  }
  if (s.note) out.push(inert(s.note, 'quote'), '');
  const knownRed = knownRedLine(s);
  if (knownRed) out.push(knownRed, '');
  if (plan) {
    const uncovered = uncoveredWarning(s);
    if (uncovered) out.push(uncovered, '');
    if (detail.criteria === 'none')
      out.push(
        '> ⚠️ **Completion criteria are not shown:** with them this comment would pass GitHub’s size limit. Tick only tasks whose criteria you have seen, or `/gantry replan` with fewer tasks.',
        '',
      );
    const before = s.status === 'awaiting-approval' || s.status === 'planning';
    const wouldBlock = before
      ? blockedBeforeStart(plan.tasks, s.tasks.toArray())
      : new Map<number, string>();
    const line = (i: number) =>
      taskLine(plan.tasks[i]!, s.tasks.at(i)!, s, server, detail.compact, wouldBlock.get(i));
    const finished = plan.tasks.flatMap((_, i) =>
      FINISHED.includes(s.tasks.at(i)!.status) ? [i] : [],
    );
    if (finished.length)
      out.push(
        `<details><summary>✅ ${finished.length} finished task${finished.length === 1 ? '' : 's'} (done or skipped)</summary>`,
        '',
        ...finished.map(line),
        '',
        '</details>',
        '',
      );
    plan.tasks.forEach((_, i) => {
      if (!FINISHED.includes(s.tasks.at(i)!.status)) out.push(line(i));
    });
    const started = s.startedAt !== undefined;
    out.push(
      `- [${started ? 'x' : ' '}] ${START_MARKER}**Start** ${started ? `(started by ${s.startedBy ? `@${s.startedBy}` : 'auto-approval'})` : '— tick the tasks to run, then tick this box'}`,
      '',
    );
    const requirements = requirementsSection(s, detail.compact);
    if (requirements) out.push(requirements, '');
    const picture = renderMermaid(
      plan.tasks,
      s.tasks.map((t) => t.status),
    );
    out.push(taskDetails(s, detail, !detail.picture && picture !== undefined), '');
    if (
      plan.phases?.length ||
      plan.openQuestions?.length ||
      plan.risks?.length ||
      plan.testStrategy
    )
      out.push(extras(plan), '');
    if (picture && detail.picture) out.push(picture, '');
  }
  out.push(HELP, '', stateBlock);
  return out.join('\n');
}

/** The estimate of what will run against the budget, with a warning when it does not cover it. */
function estimateLines(s: GoalState): string[] {
  const tiers = s.settings.tiers;
  if (!tiers || !s.plan) return [];
  const runs = s.tasks.toArray();
  const willRun = (i: number) => !NOT_RUN.includes(runs[i]!.status);
  const all = planEstimate(s.plan, tiers, willRun);
  const counted = runs.filter((_, i) => willRun(i)).length;
  const parts = [`~${formatUsd(all.totalUsd)} for ${counted} task${counted === 1 ? '' : 's'}`];
  let measured = all.totalUsd;
  if (s.startedAt === undefined) {
    const ticked = runs.filter((r) => r.status === 'approved').length;
    if (ticked > 0 && ticked < counted) {
      const sum = planEstimate(s.plan, tiers, (i) => runs[i]!.status === 'approved').totalUsd;
      parts[0] += ` (~${formatUsd(sum)} for the ${ticked} ticked)`;
      measured = sum;
    }
  }
  parts.push(
    `~${minutes(all.agentMinutes)} of agent time, ~${minutes(all.criticalPathMinutes)} on the critical path (CI not counted)`,
  );
  const lines = [`**Estimate:** ${parts.join(' · ')}`, ''];
  const cap = fromMicros(s.budget.capMicros);
  if (measured > cap)
    lines.push(
      `> ⚠️ **Over budget:** the estimate (~${formatUsd(measured)}) is more than this goal’s budget (${formatUsd(cap)}). The goal pauses when the budget runs out: tick fewer tasks, or raise the budget (\`/gantry budget <usd>\`, or \`budget.goalUsd\` in \`.github/gantry.yml\`).`,
      '',
    );
  return lines;
}

const minutes = (n: number) => {
  const m = Math.round(n);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
};

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

/** Once started: what is going on right now, and what waits for a person. */
function nowLine(s: GoalState): string | undefined {
  if (s.startedAt === undefined || !s.plan) return undefined;
  const ids = (statuses: readonly TaskStatus[]) => {
    const found = s.plan!.tasks.filter((_, i) => statuses.includes(s.tasks.at(i)!.status));
    const shown = found.slice(0, 8).map((t) => t.id);
    return found.length > 8 ? `${shown.join(', ')} +${found.length - 8}` : shown.join(', ');
  };
  const parts = [
    ['🏃 running', ids(['running'])],
    ['🛬 landing or in CI', ids(['landing', 'validating'])],
    ['❌ failed, recovery planned', ids(['failed'])],
    ['🙋 needs a human', ids(['needs-human'])],
    ['👀 waits for a tick', s.status === 'awaiting-approval' ? '' : ids(['proposed'])],
  ].filter(([, list]) => list);
  return parts.length
    ? `**Now:** ${parts.map(([what, list]) => `${what}: ${list}`).join(' · ')}`
    : undefined;
}

function taskLine(
  t: Task,
  run: TaskRun,
  s: GoalState,
  server: string,
  compact: boolean,
  wouldBlock: string | undefined,
): string {
  const ticked = !['proposed', 'excluded'].includes(run.status);
  const deps = t.dependsOn.length
    ? `after ${t.dependsOn.slice(0, 4).join(', ')}${t.dependsOn.length > 4 ? ` +${t.dependsOn.length - 4}` : ''}`
    : 'first';
  let status = wouldBlock ? `⛔ blocked until ${wouldBlock} is ticked` : STATUS_BADGE[run.status];
  if (run.attempt > 1 || (run.attempt === 1 && run.status === 'retrying'))
    status += ` · attempt ${run.attempt}`;
  if (
    run.runId !== undefined &&
    run.status !== 'cancelled' &&
    (!compact || LOOK_AT.includes(run.status))
  )
    status += ` · [run](${server}/${s.repo}/actions/runs/${run.runId})`;
  if (run.spentMicros > 0) status += ` · ${formatUsd(fromMicros(run.spentMicros))}`;
  if (run.reason && ['failed', 'needs-human', 'blocked'].includes(run.status))
    status += ` · ${inert(truncate(run.reason, 160), 'line')}`;
  return `- [${ticked ? 'x' : ' '}] ${taskMarker(t.id)}**${t.id}** ${inert(t.title, 'line')}${TITLE_END} · ${deps} · ${t.tier} · ${status}`;
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

/**
 * Every task's card: tier, model, estimate, scope, its criteria as the Action checks them, and
 * its description. Open while a task waits for approval, so nobody ticks what they have not seen.
 * The compact form is a list, one item per task, its tier's model and price given once above.
 */
function taskDetails(s: GoalState, detail: Detail, pictureCut: boolean): string {
  const plan = s.plan!;
  const awaiting = s.startedAt === undefined || s.counts.proposed > 0;
  const estimate = s.settings.tiers ? planEstimate(plan, s.settings.tiers) : undefined;
  const cuts = [
    pictureCut ? 'the picture' : '',
    detail.descriptions === 'short' ? 'the end of long descriptions' : '',
    detail.descriptions === 'none' ? 'descriptions' : '',
    detail.compact &&
    s.tasks.some(
      (r) => r.runId !== undefined && r.status !== 'cancelled' && !LOOK_AT.includes(r.status),
    )
      ? 'links to runs of tasks that are not running or failing'
      : '',
    detail.criteria === 'open' ? 'the criteria of tasks that are finished or will not run' : '',
    detail.criteria === 'none' ? 'all criteria' : '',
  ].filter(Boolean);
  const parts = [`<details${awaiting ? ' open' : ''}><summary>What each task runs</summary>`, ''];
  if (cuts.length)
    parts.push(
      `<sub>Left out to fit GitHub’s comment size limit: ${cuts.slice(0, -1).join(', ')}${cuts.length > 1 ? ' and ' : ''}${cuts.at(-1)}.</sub>`,
      '',
    );
  if (detail.compact)
    parts.push(
      `Each task: agent time · scope · when it is done.${s.settings.tiers ? ` ${tierLine(s.settings.tiers)}` : ''}`,
      '',
    );
  plan.tasks.forEach((t, i) => {
    const run = s.tasks.at(i)!;
    const e = detail.compact ? undefined : estimate?.tasks[i];
    const facts = [
      ...(detail.compact ? [] : [t.tier]),
      ...(e ? [inert(e.model, 'line')] : []),
      `~${minutes(t.estimate)}`,
      ...(e ? [`~${formatUsd(e.costUsd)}`] : []),
      ...(t.scope.length
        ? [`${detail.compact ? '' : 'scope '}${t.scope.map((p) => inert(p, 'code')).join(', ')}`]
        : []),
      ...(t.covers?.length ? [`covers ${t.covers.map((n) => `R${n}`).join(', ')}`] : []),
    ].join(' · ');
    const showCriteria =
      detail.criteria === 'all' ||
      (detail.criteria === 'open' &&
        !FINISHED.includes(run.status) &&
        !NOT_RUN.includes(run.status));
    const criteria = showCriteria ? criteriaLines(t.criteria) : [];
    if (detail.compact) {
      // One criterion fits on the task's item; more go below it.
      const one = criteria.length === 1 ? ` · ${criteria[0]!.slice(2)}` : '';
      parts.push(
        `- **${t.id}** ${facts}${one}${criteria.length > 1 ? ' · all of:' : ''}`,
        ...(criteria.length > 1 ? criteria.map((c) => `  ${c}`) : []),
      );
      return;
    }
    parts.push(`**${t.id}** · ${facts}${showCriteria ? ' · done when:' : ''}`, ...criteria, '');
    // Shortened text carries no edit markers: an edit of it must not replace the full description.
    if (detail.descriptions === 'full')
      parts.push(descMarker(t.id), inert(t.description), DESC_END, '');
    else if (detail.descriptions === 'short') parts.push(inert(truncate(t.description, 200)), '');
  });
  if (detail.compact) parts.push('');
  parts.push('</details>');
  return parts.join('\n');
}

/** Which model each tier runs on and what one task of it is expected to cost. */
function tierLine(tiers: TierEstimates): string {
  const each = (['small', 'medium', 'large'] as const).map(
    (t) => `${t}: ${inert(tiers[t].model, 'line')} ~${formatUsd(tiers[t].estimateUsd)}`,
  );
  return `Model and estimate per task by tier: ${each.join(' · ')}.`;
}

function extras(plan: NonNullable<GoalState['plan']>): string {
  const parts = ['<details><summary>Plan notes</summary>', ''];
  if (plan.phases?.length)
    parts.push(
      '**Phases**',
      ...plan.phases.map((p) => `- ${inert(p.name, 'line')}: ${p.tasks.join(', ')}`),
      '',
    );
  if (plan.openQuestions?.length)
    parts.push('**Open questions**', ...plan.openQuestions.map((q) => `- ${inert(q, 'line')}`), '');
  if (plan.risks?.length)
    parts.push(
      '**Risks**',
      ...plan.risks.map((r) => `- ${inert(r.risk, 'line')} → ${inert(r.mitigation, 'line')}`),
      '',
    );
  if (plan.testStrategy) parts.push('**Test strategy**', '', inert(plan.testStrategy), '');
  parts.push('</details>');
  return parts.join('\n');
}

/** Shown on every goal of a repository that opted out of containment (`agent.isolation`). */
export const UNISOLATED_WARNING =
  '> ⚠️ **Agents run unisolated:** this repository sets `agent.isolation: unisolated`, so each task’s agent and criteria run as the job’s own user, with the LLM key, the job’s read-only token and the whole network within reach. Remove the setting to run them contained.';

const HELP = [
  '<details><summary>Commands</summary>',
  '',
  'Comment `/gantry <verb>`: `approve` (all tasks; once started, name them: `approve T5`), `start`, `replan <feedback>`, `retry T3`, `skip T3`, `edit T3` (+ YAML), `pause`, `resume`, `cancel`, `status`, `help`.',
  'Anyone may run `status` and `help` (answered once for people without write access); ticking boxes and every other command need write, maintain or admin access.',
  '',
  '</details>',
].join('\n');

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function duration(ms: number): string {
  const min = Math.max(0, Math.floor(ms / 60_000));
  if (min < 60) return `${min}m`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h}h ${min % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}
