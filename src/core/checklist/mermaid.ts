import type { TaskStatus } from '../goal.js';
import { inert } from '../inert.js';
import type { Task } from '../plan.js';

/**
 * The most tasks a picture shows. GitHub draws the chart at the comment's width (about 900 px):
 * beyond some 40 nodes a left-to-right flowchart shrinks its labels below legibility, and the
 * checklist says the same more clearly.
 */
export const MERMAID_MAX_TASKS = 40;
/** Beyond this many arrows the chart is a tangle (and slow to lay out in the reader's browser). */
export const MERMAID_MAX_EDGES = 120;

const CLASS: Partial<Record<TaskStatus, string>> = {
  done: 'done',
  running: 'active',
  landing: 'landing',
  validating: 'landing',
  failed: 'bad',
  'needs-human': 'bad',
  retrying: 'active',
  blocked: 'off',
  excluded: 'off',
  skipped: 'off',
  cancelled: 'off',
};

/** Below the picture: what its colours mean (uncoloured tasks wait for approval or their turn). */
export const MERMAID_LEGEND =
  '<sub>🟩 done · 🟨 running · 🟦 landing or in CI · 🟥 failed or needs a human · ⬜ blocked, skipped or not run · white: waiting</sub>';

const label = (t: Task, max = 40) =>
  inert(`${t.id}: ${t.title.length > max ? `${t.title.slice(0, max - 1)}…` : t.title}`, 'mermaid');

/**
 * A mermaid flowchart of the DAG, each node coloured by its status, with its legend. A plan too
 * large to draw is reduced to its unfinished tasks (done and skipped ones, and arrows from them,
 * left out); when even those are too many, there is no picture (undefined).
 */
export function renderMermaid(
  tasks: readonly Task[],
  statuses: readonly TaskStatus[],
): string | undefined {
  let shown = tasks.map((_, i) => i);
  let note = '';
  if (!fits(tasks, shown)) {
    shown = shown.filter((i) => !['done', 'skipped'].includes(statuses[i] ?? 'proposed'));
    note = ` · ${tasks.length - shown.length} finished tasks not drawn`;
    if (shown.length === 0 || !fits(tasks, shown)) return undefined;
  }
  const ids = new Set(shown.map((i) => tasks[i]!.id));
  const lines = ['```mermaid', 'flowchart LR'];
  shown.forEach((i) => lines.push(`  ${tasks[i]!.id}["${label(tasks[i]!)}"]`));
  for (const i of shown)
    for (const d of tasks[i]!.dependsOn) if (ids.has(d)) lines.push(`  ${d} --> ${tasks[i]!.id}`);
  const byClass = new Map<string, string[]>();
  shown.forEach((i) => {
    const cls = CLASS[statuses[i] ?? 'proposed'];
    if (cls) byClass.set(cls, [...(byClass.get(cls) ?? []), tasks[i]!.id]);
  });
  for (const [cls, members] of byClass) lines.push(`  class ${members.join(',')} ${cls}`);
  lines.push(
    '  classDef done fill:#2da44e,color:#fff',
    '  classDef active fill:#bf8700,color:#fff',
    '  classDef landing fill:#0969da,color:#fff',
    '  classDef bad fill:#cf222e,color:#fff',
    '  classDef off fill:#d0d7de,color:#57606a',
    '```',
    '',
    note ? MERMAID_LEGEND.replace('</sub>', `${note}</sub>`) : MERMAID_LEGEND,
  );
  return lines.join('\n');
}

function fits(tasks: readonly Task[], shown: readonly number[]): boolean {
  if (shown.length > MERMAID_MAX_TASKS) return false;
  const ids = new Set(shown.map((i) => tasks[i]!.id));
  const edges = shown.reduce((n, i) => n + tasks[i]!.dependsOn.filter((d) => ids.has(d)).length, 0);
  return edges <= MERMAID_MAX_EDGES;
}
