import type { TaskStatus } from '../goal.js';
import type { Task } from '../plan.js';

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

const label = (t: Task, max = 40) => {
  const title = t.title.length > max ? `${t.title.slice(0, max - 1)}…` : t.title;
  return `${t.id}: ${title}`.replace(
    /["<>]/g,
    (c) => ({ '"': '#quot;', '<': '#lt;', '>': '#gt;' })[c] ?? c,
  );
};

/** A mermaid flowchart of the DAG, each node coloured by its status. */
export function renderMermaid(tasks: readonly Task[], statuses: readonly TaskStatus[]): string {
  const lines = ['```mermaid', 'flowchart LR'];
  tasks.forEach((t) => lines.push(`  ${t.id}["${label(t)}"]`));
  tasks.forEach((t) => t.dependsOn.forEach((d) => lines.push(`  ${d} --> ${t.id}`)));
  const byClass = new Map<string, string[]>();
  tasks.forEach((t, i) => {
    const cls = CLASS[statuses[i] ?? 'proposed'];
    if (cls) byClass.set(cls, [...(byClass.get(cls) ?? []), t.id]);
  });
  for (const [cls, ids] of byClass) lines.push(`  class ${ids.join(',')} ${cls}`);
  lines.push(
    '  classDef done fill:#2da44e,color:#fff',
    '  classDef active fill:#bf8700,color:#fff',
    '  classDef landing fill:#0969da,color:#fff',
    '  classDef bad fill:#cf222e,color:#fff',
    '  classDef off fill:#d0d7de,color:#57606a',
    '```',
  );
  return lines.join('\n');
}
