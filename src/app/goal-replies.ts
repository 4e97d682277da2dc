import type { Effect, FailureInfo } from '../core/effects.js';
import { inert } from '../core/inert.js';
import type { GoalContext } from './goal-context.js';
import { attemptFacts, lastOutput } from './recovery.js';

/**
 * What Gantry says on the issue while tasks run: a task that needs a human (what failed, the
 * attempts, the last output), an attempt not landed, a goal the budget or a red base paused.
 */

/** The comment that asks a person: mentions the approver, says what failed and what was tried. */
export async function escalation(
  g: GoalContext,
  e: Extract<Effect, { type: 'escalate' }>,
): Promise<string> {
  const s = g.session.state!;
  const i = s.plan!.tasks.findIndex((t) => t.id === e.taskId);
  const t = s.tasks.at(i);
  // The run of the escalated attempt: its result's diff stat, criteria and the agent's account.
  const runId = t?.attempt === e.attempt ? t.runId : undefined;
  const facts =
    runId !== undefined && e.failure
      ? await attemptFacts(g, { taskId: e.taskId, attempt: e.attempt, runId })
      : undefined;
  const failure = e.failure && {
    ...e.failure,
    // One line each: a command's output is in the folded last output.
    failedCriteria: (e.failure.failedCriteria ?? facts?.failedCriteria)?.map(
      (c) => c.split('\n')[0]!,
    ),
    refused: e.failure.refused ?? facts?.refused,
  };
  // The end of the failed job's log (the task run's after an agent failure, CI's after red CI),
  // then the end of each failed criterion's command output, the agent's last words.
  const log = e.failure && (await lastOutput(g, e.failure, runId));
  const criteriaOutput = (facts?.failedCriteria ?? [])
    .filter((c) => c.includes('\n'))
    .slice(0, 3)
    .map((c) => {
      const [head, ...rest] = c.split('\n');
      return `== ${head} ==\n${lastLines(rest.join('\n'), 20)}`;
    });
  const output = [log && lastLines(log, criteriaOutput.length ? 20 : 40), ...criteriaOutput]
    .filter(Boolean)
    .join('\n');
  const tried = t ? `${t.attempt} attempt${t.attempt === 1 ? '' : 's'}` : 'its attempts';
  const attempts = (s.failures ?? []).filter((f) => f.taskId === e.taskId);
  const body = (withLogs: boolean) =>
    [
      `${e.mention ? `@${e.mention} ` : ''}**${e.taskId} needs a human** after ${tried}.`,
      '',
      inert(e.question, 'quote'),
      '',
      ...(failure ? whatFailed(failure) : []),
      ...(attempts.length
        ? [
            '**Attempts:**',
            ...attempts.map((f) => `- attempt ${f.attempt}: ${inert(f.reason, 'line')}`),
            '',
          ]
        : []),
      ...(withLogs && facts?.diffStat
        ? [folded(`What attempt ${e.attempt} changed`, facts.diffStat, 'start'), '']
        : []),
      ...(withLogs && output ? [folded('Last output', output, 'end'), ''] : []),
      `Tasks that do not depend on ${e.taskId} keep going. \`/gantry retry ${e.taskId}\` gives it one more attempt; \`/gantry skip ${e.taskId}\` goes on without it.`,
    ].join('\n');
  // Within GitHub's limit on a comment whatever the agent wrote: a comment refused would stop the
  // escalation for good. The folded logs go first; what is left is cut, with a note.
  const full = body(true);
  if (full.length <= COMMENT_CHARS) return full;
  const short = body(false);
  return short.length <= COMMENT_CHARS
    ? short
    : `${short.slice(0, COMMENT_CHARS - 80)}\n\n… (cut here: GitHub's limit on a comment)`;
}

/** What Gantry's own comments keep within (GitHub refuses a body over 65,536 characters). */
const COMMENT_CHARS = 60_000;
/** The most of a log or diff stat shown in a folded block. */
const FOLDED_CHARS = 12_000;

const lastLines = (text: string, n: number) => text.split('\n').slice(-n).join('\n');

/**
 * A log in a folded block, made inert first (the agent wrote it: no mention, HTML or Gantry
 * marker of it may act), in a code fence longer than any run of backticks left in it.
 */
function folded(title: string, log: string, keep: 'start' | 'end'): string {
  const kept =
    log.length <= FOLDED_CHARS
      ? log
      : keep === 'end'
        ? `… (the start is cut)\n${log.slice(-FOLDED_CHARS)}`
        : `${log.slice(0, FOLDED_CHARS)}\n… (the rest is cut)`;
  const text = inert(kept, 'block');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `<details><summary>${title}</summary>\n\n${fence}text\n${text}\n${fence}\n\n</details>`;
}

const FAILURE_KIND: Record<FailureInfo['kind'], string> = {
  agent: 'the agent',
  ci: 'CI',
  'no-change': 'no change',
  conflict: 'a merge conflict',
};

/** The last failure of an escalated task: its kind and detail, then each list it has. */
function whatFailed(f: FailureInfo): string[] {
  const list = (title: string, items: readonly string[] | undefined) =>
    items?.length ? [`**${title}:**`, ...items.map((x) => `- ${inert(x, 'line')}`), ''] : [];
  return [
    `**What failed last (${FAILURE_KIND[f.kind]}):** ${inert(f.detail, 'line')}${f.sha && !f.detail.includes(f.sha.slice(0, 7)) ? ` on ${f.sha.slice(0, 7)}` : ''}`,
    '',
    ...list('Failed checks', f.failedChecks),
    ...list('Failed criteria', f.failedCriteria),
    ...list('Refused', f.refused),
  ];
}

/** Why an attempt's work was not landed, every problem listed (the plan comment has room for one). */
export function refusal(
  taskId: string,
  attempt: number,
  why: string,
  problems: readonly string[],
): string {
  return [
    `**Gantry did not land ${taskId} (attempt ${attempt}):** ${why}.`,
    '',
    ...problems.map((p) => `- ${inert(p)}`),
    '',
    `Nothing of it was merged. The attempt counts as failed, and recovery planning is told why.`,
  ].join('\n');
}

/** A goal the budget stopped: say how to go on, once. */
export function announceBudgetPause(g: GoalContext): void {
  const s = g.session.state!;
  if (s.status !== 'paused' || s.pausedFor !== 'budget') return;
  g.session.reply(
    [
      `**Gantry paused this goal: the budget cannot cover the next task.** ${inert(s.note ?? '')}`,
      '',
      `To go on, a maintainer can raise \`budget.goalUsd\` in \`.github/gantry.yml\` and comment \`/gantry resume\`, or comment \`/gantry budget <usd>\` with the new total for this goal.`,
    ].join('\n'),
    { once: true },
  );
}

/**
 * A goal the red default branch stopped before anything landed: say which checks failed and how
 * to go on, once per base (a base still red after a resume is in the plan comment's note).
 */
export function announceBasePause(g: GoalContext): void {
  const s = g.session.state!;
  const b = s.baseVerdict;
  if (s.status !== 'paused' || s.pausedFor !== 'base' || b?.verdict !== 'red') return;
  const branch = g.ref.defaultBranch;
  g.session.reply(
    [
      `**Gantry paused this goal: the default branch is red.** CI failed on ${b.sha.slice(0, 7)}, the head of \`${branch}\` this goal started from, before anything of the goal landed${b.failedChecks?.length ? ':' : '.'}`,
      '',
      ...(b.failedChecks?.length
        ? [...b.failedChecks.map((c) => `- ${inert(c, 'line')}`), '']
        : []),
      'No task is blamed for it: nothing lands on a red base, and no new task starts. Tasks already running finish and wait to land.',
      '',
      `To go on, make \`${branch}\` green (push a fix, or re-run its failed checks), then comment \`/gantry resume\`: Gantry checks the base again, from the new head of \`${branch}\` if it moved.`,
      '',
      `If this goal is what makes \`${branch}\` green, comment \`/gantry resume known-red\`: the goal goes on on this base, and the checks above judge no landing until one passes them (from then on they judge every landing). Every other check judges every landing as usual, and the pull request says which checks are still red.`,
    ].join('\n'),
    { once: true },
  );
}
