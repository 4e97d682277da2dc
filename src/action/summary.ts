import * as core from '@actions/core';
import type { TaskResult } from '../core/task-result.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').slice(0, 300);

/** The job summary: criteria, rounds, files changed, tokens and cost. */
export async function writeSummary(r: TaskResult): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const icon = { success: '✅', partial: '🟡', failure: '❌' }[r.status];
  const rows: string[][] = [];
  const walk = (o: TaskResult['criteria']['outcomes'][number], depth: number) => {
    rows.push([
      `${'&nbsp;'.repeat(depth * 2)}${o.path}`,
      o.kind,
      o.passed ? '✅' : '❌',
      cell(o.detail),
    ]);
    for (const child of (o.children ?? []) as TaskResult['criteria']['outcomes'])
      walk(child, depth + 1);
  };
  r.criteria.outcomes.forEach((o) => walk(o, 0));
  await core.summary
    .addHeading(
      `${icon} Gantry ${r.taskId} (goal #${r.goal}, attempt ${r.attempt}): ${r.status}`,
      3,
    )
    .addRaw(`${r.reason}.`, true)
    .addTable([
      [
        { data: 'criterion', header: true },
        { data: 'kind', header: true },
        { data: 'result', header: true },
        { data: 'detail', header: true },
      ],
      ...rows,
    ])
    .addTable([
      [
        { data: 'rounds', header: true },
        { data: 'files changed', header: true },
        { data: 'turns', header: true },
        { data: 'tokens in / out', header: true },
        { data: 'cost', header: true },
      ],
      [
        String(r.iterations),
        String(r.filesChanged.length),
        String(r.usage.turns),
        `${r.usage.inputTokens} / ${r.usage.outputTokens}`,
        `$${r.usage.costUsd.toFixed(4)}`,
      ],
    ])
    .write();
}
