import type { GoalState, TaskRun } from '../goal.js';
import { knownRedLine } from './known-red.js';
import { formatUsd, fromMicros } from '../money.js';
import { inert } from '../inert.js';
import { duration, STATUS_BADGE } from './render.js';
import { requirementsAccount } from './requirements.js';

/** GitHub's limit on a pull request body, as on comments. */
const BODY_LIMIT = 65_536;

/**
 * The goal's pull request description: what it is for, every task with its status, its attempts
 * (each failed or refused one with why), the commit it landed as with its CI (or that it changed
 * nothing), time, cost and run, each requirement with the tasks that cover it, their commits
 * and CI (and those no task covers or that failed), the total against the budget, who approved
 * what and when, what the tasks learned, and `Closes #<issue>`. Rendered again whenever the
 * account changes.
 */
export function renderPrBody(s: GoalState, o: { serverUrl?: string | undefined } = {}): string {
  const server = o.serverUrl ?? 'https://github.com';
  const plan = s.plan;
  const out: string[] = [`Closes #${s.issue}`, ''];
  out.push(`## ${inert(plan?.goal.title ?? s.title, 'line')}`, '');
  if (plan?.goal.body) out.push(inert(plan.goal.body), '');
  out.push(statusLine(s), '');
  if (s.note) out.push(inert(s.note, 'quote'), '');
  const knownRed = knownRedLine(s);
  if (knownRed) out.push(knownRed, '');
  if (plan) {
    const repoUrl = `${server}/${s.repo}`;
    out.push(
      '| Task | Status | Attempts | Landed | Time | Cost | Run |',
      '|---|---|---|---|---|---|---|',
    );
    plan.tasks.forEach((t, i) => {
      const r = s.tasks.at(i)!;
      const run = r.runId !== undefined ? `[${r.runId}](${repoUrl}/actions/runs/${r.runId})` : '–';
      const reason =
        r.reason && ['needs-human', 'blocked', 'failed'].includes(r.status)
          ? `: ${inert(r.reason, 'cell')}`
          : '';
      out.push(
        `| **${t.id}** ${inert(t.title, 'cell')} | ${STATUS_BADGE[r.status]}${reason} | ${attemptsCell(s, t.id, r.attempt)} | ${landedCell(repoUrl, r)} | ${r.ranMs !== undefined ? duration(r.ranMs) : '–'} | ${formatUsd(fromMicros(r.spentMicros))} | ${run} |`,
      );
    });
    out.push('');
    out.push(
      ...requirementsAccount(s, (i) => {
        const r = s.tasks.at(i)!;
        const landed = landedCell(repoUrl, r);
        return `**${plan.tasks[i]!.id}** ${STATUS_BADGE[r.status]}${landed === '–' ? '' : ` · ${landed}`}`;
      }),
    );
  }
  const approvals = approvalLines(s);
  if (approvals.length) out.push('### Approvals', '', ...approvals, '');
  if (s.findings?.length)
    out.push(
      '### Learned along the way',
      '',
      ...s.findings.map((f) => `- **${f.kind}** ${inert(f.text, 'line')} (${f.source})`),
      '',
    );
  out.push(
    `<sub>Planned and run by Gantry for #${s.issue}; every task landed on this branch only after CI judged it.</sub>`,
  );
  const body = out.join('\n');
  return body.length > BODY_LIMIT ? `${body.slice(0, BODY_LIMIT - 40)}\n\n… (shortened)` : body;
}

/** The attempts, each failed or refused one with why (CI red, a conflict, a refusal, criteria). */
function attemptsCell(s: GoalState, taskId: string, attempts: number): string {
  const failed = (s.failures ?? []).filter((f) => f.taskId === taskId);
  if (!failed.length) return String(attempts);
  const why = failed.map((f) => `attempt ${f.attempt}: ${inert(short(f.reason), 'cell')}`);
  return [String(attempts), ...why].join('<br>');
}

/** The commit a task landed as, with its CI; a task done without a change says so. */
function landedCell(repoUrl: string, r: TaskRun): string {
  // A landing CI turned red was taken back: only a task done or being judged shows its commit.
  if (r.landedSha && (r.status === 'done' || r.status === 'validating'))
    return `[${r.landedSha.slice(0, 7)}](${repoUrl}/commit/${r.landedSha}) ([CI](${repoUrl}/commit/${r.landedSha}/checks))`;
  return r.status === 'done' ? 'no change' : '–';
}

const short = (text: string, max = 160) =>
  text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;

function statusLine(s: GoalState): string {
  const counted = s.tasks.length - s.counts.excluded;
  const what =
    s.status === 'done'
      ? `✅ all ${counted} tasks done`
      : `${s.counts.done + s.counts.skipped} of ${counted} tasks done (${s.status})`;
  const planner = s.plannerMicros
    ? ` (${formatUsd(fromMicros(s.plannerMicros))} of it on planning, recovery and review)`
    : '';
  const cost = `${formatUsd(fromMicros(s.budget.spentMicros))} spent${planner} of a ${formatUsd(fromMicros(s.budget.capMicros))} budget`;
  const time =
    s.startedAt !== undefined ? ` · ${duration((s.finishedAt ?? s.now) - s.startedAt)}` : '';
  return `**Status:** ${what} · ${cost}${time}`;
}

/** Who approved which tasks, and when; who started the goal. */
function approvalLines(s: GoalState): string[] {
  const byPerson = new Map<string, { ids: string[]; at: number }>();
  s.tasks.forEach((t, i) => {
    if (!t.approvedBy) return;
    const entry = byPerson.get(t.approvedBy) ?? { ids: [], at: t.approvedAt ?? 0 };
    entry.ids.push(s.plan!.tasks[i]!.id);
    entry.at = Math.max(entry.at, t.approvedAt ?? 0);
    byPerson.set(t.approvedBy, entry);
  });
  const lines = [...byPerson].map(
    ([who, e]) => `- @${who} approved ${e.ids.join(', ')}${e.at ? ` (${when(e.at)})` : ''}`,
  );
  if (s.startedAt !== undefined)
    lines.push(
      `- ${s.startedBy ? `@${s.startedBy}` : 'Auto-approval'} started plan v${s.planVersion} (${when(s.startedAt)})`,
    );
  return lines;
}

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
