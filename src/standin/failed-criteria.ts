import type { TaskResult } from '../core/task-result.js';

/** A criterion that failed in an agent's last round, as the job's `gantry-result.json` says. */
export interface FailedCriterion {
  /** Where it is in the task's criteria ("0", "2.1"), as the job summary numbers them. */
  path: string;
  kind: string;
  /** What was checked and how it went: the command and its exit, the path, the pattern. */
  said: string;
  /** The output the job kept (its end, for a command), without empty lines. */
  output: string[];
}

type Outcome = TaskResult['criteria']['outcomes'][number];

/**
 * The failed leaves of a task's criteria, in order: a failed composite is shown by the leaves
 * that made it fail, as a reader needs the command or the path, not the composite's verdict.
 */
export function failedCriteria(r: TaskResult): FailedCriterion[] {
  if (r.criteria.passed) return [];
  const failed: FailedCriterion[] = [];
  const walk = (o: Outcome) => {
    if (o.passed) return;
    const children = (o.children ?? []) as Outcome[];
    if (children.some((c) => !c.passed)) return children.forEach(walk);
    const [said = '', ...output] = o.detail.split('\n');
    failed.push({
      path: o.path,
      kind: o.kind,
      said: said.trim(),
      output: output.filter((l) => l.trim()),
    });
  };
  r.criteria.outcomes.forEach(walk);
  return failed;
}
