import type { CriterionOutcome } from '../../core/criteria.js';
import { ALWAYS_BLOCKED } from '../../core/path-policy.js';
import type { Task } from '../../core/plan.js';

export interface PromptContext {
  task: Task;
  goal: number;
  attempt: number;
  knowledge: readonly { kind: string; text: string; source?: string | undefined }[];
  guidance: string;
  /** Globs the change may not touch, beyond `.github/workflows/**`. */
  blocked?: readonly string[];
}

/** The first prompt of a task: what to do, where, how it is judged, and what is known. */
export function taskPrompt(c: PromptContext): string {
  const t = c.task;
  const parts = [
    `You are doing task ${t.id} of goal #${c.goal} (attempt ${c.attempt}) in this repository, a fresh checkout of the goal's latest green commit (its branch as it is about to be).`,
    `# ${t.title}\n\n${t.description}`,
    t.scope.length ? `Work in: ${t.scope.join(', ')}` : '',
    `The task is done when these completion criteria pass (they are checked after you finish):\n${t.criteria.map((c) => `- ${JSON.stringify(c)}`).join('\n')}`,
  ];
  if (c.knowledge.length)
    parts.push(
      `Learned by earlier tasks of this goal:\n${c.knowledge.map((f) => `- [${f.kind}] ${f.text}${f.source ? ` (${f.source})` : ''}`).join('\n')}`,
    );
  if (c.guidance) parts.push(`Guidance for this attempt:\n${c.guidance}`);
  const blocked = [...new Set([...ALWAYS_BLOCKED, ...(c.blocked ?? [])])].join(', ');
  parts.push(
    `Do not commit or push. Do not change ${blocked}; do not create nested git repositories or submodules, symlinks that leave the repository, or large generated files. End with a short summary of what you changed.`,
  );
  return parts.filter(Boolean).join('\n\n');
}

/**
 * The prompt of a later round: which criteria still fail and what they printed, and what in the
 * change would be refused (a nested repository, a symlink into .git, a file too large).
 */
export function feedbackPrompt(
  outcomes: readonly CriterionOutcome[],
  refused: readonly string[] = [],
): string {
  const failed: string[] = [];
  const walk = (o: CriterionOutcome) => {
    if (o.children) o.children.forEach(walk);
    else if (!o.passed) failed.push(`- criterion ${o.path} (${o.kind}): ${o.detail}`);
  };
  outcomes.forEach(walk);
  const parts: string[] = [];
  if (failed.length) parts.push(`The completion criteria do not pass yet:\n${failed.join('\n')}`);
  if (refused.length)
    parts.push(
      `Your change cannot be published as it is; fix each of these (the change is refused otherwise):\n${refused.map((p) => `- ${p}`).join('\n')}`,
    );
  parts.push(
    failed.length
      ? 'Fix the work so that they pass, then summarize what you changed.'
      : 'Fix the change, then summarize what you changed.',
  );
  return parts.join('\n\n');
}
