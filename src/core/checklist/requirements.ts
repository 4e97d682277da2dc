import type { GoalState, TaskStatus } from '../goal.js';
import { inert } from '../inert.js';
import type { Plan } from '../plan.js';

/** How far one requirement is: by the statuses of the tasks that cover it. */
export type RequirementStatus = 'uncovered' | 'met' | 'failed' | 'not-run' | 'open';

export interface RequirementCoverage {
  /** Its number, from 1: tasks name it in `covers`; shown as `R<n>`. */
  n: number;
  text: string;
  /** Indexes (into the plan's tasks) of the tasks that cover it, in plan order. */
  tasks: number[];
  status: RequirementStatus;
}

/** Statuses of a task that went wrong: the requirement it covers is not met (yet). */
const FAILED: readonly TaskStatus[] = ['failed', 'needs-human', 'blocked'];
/** Statuses of a task that will not run (or was skipped): nothing of it lands. */
const NOT_RUN: readonly TaskStatus[] = ['excluded', 'skipped', 'cancelled'];

/**
 * Every requirement of the plan with the tasks that cover it and where they are: met when all
 * of them are done, failed or not run when one of them is, uncovered when no task names it.
 */
export function requirementCoverage(
  plan: Plan,
  status: (i: number) => TaskStatus,
): RequirementCoverage[] {
  return (plan.requirements ?? []).map((text, k) => {
    const n = k + 1;
    const tasks = plan.tasks.flatMap((t, i) => (t.covers?.includes(n) ? [i] : []));
    const statuses = tasks.map(status);
    const of: RequirementStatus =
      tasks.length === 0
        ? 'uncovered'
        : statuses.some((x) => FAILED.includes(x))
          ? 'failed'
          : statuses.some((x) => NOT_RUN.includes(x))
            ? 'not-run'
            : statuses.every((x) => x === 'done')
              ? 'met'
              : 'open';
    return { n, text, tasks, status: of };
  });
}

const coverageOf = (s: GoalState) =>
  s.plan ? requirementCoverage(s.plan, (i) => s.tasks.at(i)!.status) : [];

const rid = (n: number) => `R${n}`;

/**
 * Before Start: the warning over the checklist when a requirement is covered by no task, or only
 * by tasks that will not run. It does not block Start: the maintainer may mean to leave one out.
 */
export function uncoveredWarning(s: GoalState): string | undefined {
  if (s.startedAt !== undefined) return undefined;
  const coverage = coverageOf(s);
  const none = coverage.filter((r) => r.status === 'uncovered');
  const dropped = coverage.filter((r) => r.status === 'not-run');
  if (!none.length && !dropped.length) return undefined;
  const parts = [
    ...(none.length ? [`no task covers ${none.map((r) => `**${rid(r.n)}**`).join(', ')}`] : []),
    ...(dropped.length
      ? [`only tasks that will not run cover ${dropped.map((r) => `**${rid(r.n)}**`).join(', ')}`]
      : []),
  ];
  return `> ⚠️ **Requirements not covered:** ${parts.join('; ')} (see Requirements below). Start anyway if that is meant; otherwise give a task the work and its \`covers\` (\`/gantry edit\`), or \`/gantry replan <feedback>\`.`;
}

/**
 * The plan comment's list of requirements, each with the tasks that cover it; one no task covers
 * is flagged on its line. Open until the goal starts. The compact form shortens the texts.
 */
export function requirementsSection(s: GoalState, compact: boolean): string | undefined {
  const coverage = coverageOf(s);
  if (!coverage.length) return undefined;
  const plan = s.plan!;
  const none = coverage.filter((r) => r.status === 'uncovered').length;
  const summary = `Requirements: ${coverage.length}${none ? `, ⚠️ ${none} covered by no task` : ''}`;
  const lines = coverage.map((r) => {
    const text = inert(compact ? clip(r.text, 80) : r.text, 'line');
    const by = r.tasks.length
      ? `covered by ${r.tasks.map((i) => plan.tasks[i]!.id).join(', ')}${r.status === 'not-run' ? ' (⚠️ none of them will run)' : ''}`
      : '⚠️ **covered by no task**';
    return `- **${rid(r.n)}** ${text} · ${by}`;
  });
  return [
    `<details${s.startedAt === undefined ? ' open' : ''}><summary>${summary}</summary>`,
    '',
    ...lines,
    '',
    '</details>',
  ].join('\n');
}

const REQUIREMENT_BADGE: Record<RequirementStatus, string> = {
  uncovered: '⚠️ covered by no task',
  met: '✅ met',
  failed: '❌ failed',
  'not-run': '➖ not done',
  open: '⏳ in progress',
};

/**
 * The PR body's account of the requirements: each with its tasks, what each landed as and its
 * CI (`taskCell` renders one task), and below, the ones no task covers and the ones not met.
 */
export function requirementsAccount(s: GoalState, taskCell: (i: number) => string): string[] {
  const coverage = coverageOf(s);
  if (!coverage.length) return [];
  const out = [
    '### Requirements',
    '',
    '| Requirement | Tasks, their commits and CI | Status |',
    '|---|---|---|',
    ...coverage.map(
      (r) =>
        `| **${rid(r.n)}** ${inert(r.text, 'cell')} | ${r.tasks.map(taskCell).join('<br>') || '–'} | ${REQUIREMENT_BADGE[r.status]} |`,
    ),
    '',
  ];
  const list = (status: RequirementStatus, withTasks: boolean) =>
    coverage
      .filter((r) => r.status === status)
      .map((r) => {
        const which = withTasks
          ? r.tasks.filter((i) => [...FAILED, ...NOT_RUN].includes(s.tasks.at(i)!.status))
          : [];
        return `${rid(r.n)}${which.length ? ` (${which.map(taskCell).join(', ')})` : ''}`;
      });
  const notes = [
    ['⚠️ **Covered by no task:**', list('uncovered', false)],
    ['❌ **Failed:**', list('failed', true)],
    ['➖ **Not done:**', list('not-run', true)],
  ] as const;
  for (const [label, ids] of notes) if (ids.length) out.push(`${label} ${ids.join(', ')}`, '');
  return out;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
