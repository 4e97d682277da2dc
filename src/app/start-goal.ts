import type { GoalContext } from './goal-context.js';

export const TASK_WORKFLOW = '.github/workflows/gantry-task.yml';

/** What to do when the repository has no task workflow: tasks run in it, so nothing can start. */
export function missingWorkflowHelp(branch: string): string {
  return [
    `**Gantry needs its task workflow:** \`${TASK_WORKFLOW}\` is not on \`${branch}\`, and every task runs in it.`,
    '',
    `1. Copy [\`gantry-task.yml\`](https://github.com/gantry-dev/gantry/blob/main/${TASK_WORKFLOW}) from Gantry's repository to \`${TASK_WORKFLOW}\` on \`${branch}\`.`,
    '2. Add the repository secret `ANTHROPIC_API_KEY` (Settings → Secrets and variables → Actions).',
    '3. Then tick **Start** (or comment `/gantry start`).',
  ].join('\n');
}

export async function hasTaskWorkflow(g: GoalContext): Promise<boolean> {
  return g.github.hasFile(TASK_WORKFLOW, g.ref.defaultBranch);
}

/**
 * Move an approved goal to running from the default branch head. Returns why it did not start
 * (nothing approved, an old plan version, no task workflow), or undefined when it started.
 */
export async function startGoal(
  g: GoalContext,
  planVersion: number,
  actor: string | undefined,
): Promise<string | undefined> {
  const at = g.deps.now();
  const dry = g.session.preview({
    type: 'start',
    at,
    actor,
    baseSha: '0'.repeat(40),
    planVersion,
  });
  if (!dry) return 'there is no plan to start';
  if (dry.ignored) return dry.ignored.message;
  if (!(await hasTaskWorkflow(g))) {
    g.session.reply(missingWorkflowHelp(g.ref.defaultBranch), { once: true });
    return `the task workflow \`${TASK_WORKFLOW}\` is missing`;
  }
  const baseSha = await g.github.branchSha(g.ref.defaultBranch);
  return g.session.apply({ type: 'start', at, actor, baseSha, planVersion }).ignored?.message;
}
