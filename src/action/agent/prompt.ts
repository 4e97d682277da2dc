import type { CriterionOutcome } from '../../core/criteria.js';
import type { Task } from '../../core/plan.js';

export interface PromptContext {
  task: Task;
  goal: number;
  attempt: number;
  knowledge: readonly { kind: string; text: string; source?: string | undefined }[];
  guidance: string;
}

/** The first prompt of a task: what to do, where, how it is judged, and what is known. */
export function taskPrompt(c: PromptContext): string {
  const t = c.task;
  const parts = [
    `You are doing task ${t.id} of goal #${c.goal} (attempt ${c.attempt}) in this repository, a fresh checkout of the goal branch.`,
    `# ${t.title}\n\n${t.description}`,
    t.scope.length ? `Work in: ${t.scope.join(', ')}` : '',
    `The task is done when these completion criteria pass (they are checked after you finish):\n${t.criteria.map((c) => `- ${JSON.stringify(c)}`).join('\n')}`,
  ];
  if (c.knowledge.length)
    parts.push(
      `Learned by earlier tasks of this goal:\n${c.knowledge.map((f) => `- [${f.kind}] ${f.text}${f.source ? ` (${f.source})` : ''}`).join('\n')}`,
    );
  if (c.guidance) parts.push(`Guidance for this attempt:\n${c.guidance}`);
  parts.push(
    'Do not commit or push; do not change .github/workflows/. End with a short summary of what you changed.',
  );
  return parts.filter(Boolean).join('\n\n');
}

/** The prompt of a later round: which criteria still fail, and what they printed. */
export function feedbackPrompt(outcomes: readonly CriterionOutcome[]): string {
  const failed: string[] = [];
  const walk = (o: CriterionOutcome) => {
    if (o.children) o.children.forEach(walk);
    else if (!o.passed) failed.push(`- criterion ${o.path} (${o.kind}): ${o.detail}`);
  };
  outcomes.forEach(walk);
  return `The completion criteria do not pass yet:\n${failed.join('\n')}\n\nFix the work so that they pass, then summarize what you changed.`;
}
