import type { GoalState } from '../goal.js';
import { formatUsd, fromMicros } from '../money.js';
import { inert } from '../inert.js';
import { duration, STATUS_BADGE } from './render.js';

/** GitHub's limit on a pull request body, as on comments. */
const BODY_LIMIT = 65_536;

/**
 * The goal's pull request description: what it is for, every task with its status, attempts,
 * time, cost and run, the total against the budget, each failed or refused attempt with why, who
 * approved what and when, what the tasks learned, and `Closes #<issue>`. Rendered again whenever the account changes.
 */
export function renderPrBody(s: GoalState, o: { serverUrl?: string | undefined } = {}): string {
  const server = o.serverUrl ?? 'https://github.com';
  const plan = s.plan;
  const out: string[] = [`Closes #${s.issue}`, ''];
  out.push(`## ${inert(plan?.goal.title ?? s.title, 'line')}`, '');
  if (plan?.goal.body) out.push(inert(plan.goal.body), '');
  out.push(statusLine(s), '');
  if (s.note) out.push(inert(s.note, 'quote'), '');
  if (plan) {
    out.push('| Task | Status | Attempts | Time | Cost | Run |', '|---|---|---|---|---|---|');
    plan.tasks.forEach((t, i) => {
      const r = s.tasks.at(i)!;
      const run =
        r.runId !== undefined ? `[${r.runId}](${server}/${s.repo}/actions/runs/${r.runId})` : '–';
      const reason =
        r.reason && ['needs-human', 'blocked', 'failed'].includes(r.status)
          ? `: ${inert(r.reason, 'cell')}`
          : '';
      out.push(
        `| **${t.id}** ${inert(t.title, 'cell')} | ${STATUS_BADGE[r.status]}${reason} | ${r.attempt} | ${r.ranMs !== undefined ? duration(r.ranMs) : '–'} | ${formatUsd(fromMicros(r.spentMicros))} | ${run} |`,
      );
    });
    out.push('');
  }
  if (s.failures?.length)
    out.push(
      '### Failed and refused attempts',
      '',
      ...s.failures.map(
        (f) => `- **${f.taskId}** attempt ${f.attempt}: ${inert(f.reason, 'line')}`,
      ),
      '',
    );
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
