export type PlanProblemCode =
  | 'schema'
  | 'empty'
  | 'too-many-tasks'
  | 'too-large'
  | 'duplicate-id'
  | 'unknown-dependency'
  | 'self-dependency'
  | 'cycle'
  | 'unknown-phase-task'
  | 'unknown-requirement';

export interface PlanProblem {
  code: PlanProblemCode;
  /** The task the problem is about, when there is one. */
  taskId?: string;
  /** Where in the plan: `tasks.3.dependsOn.0`. */
  path: string;
  message: string;
}

/** A plan that cannot be run. The message lists every problem, one per line, each naming its task. */
export class PlanValidationError extends Error {
  constructor(readonly problems: readonly PlanProblem[]) {
    super(
      `the plan is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `- ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'PlanValidationError';
  }
}
