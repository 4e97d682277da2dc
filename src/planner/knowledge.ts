import type { Finding } from '../core/findings.js';
import { asData, sanitizePlain } from './untrusted.js';

export { mergeFindings, MAX_FINDINGS, type Finding } from '../core/findings.js';

/** Findings as prompt text for a later task. */
export function renderFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return '';
  return findings.map((f) => `- [${f.kind}] ${f.text} (from ${f.source})`).join('\n');
}

/** The largest part of a plan prompt the repository's findings take. */
const REPO_KNOWLEDGE_CHARS = 6000;

/**
 * What earlier goals learned, for the planner of a later one: written by a model from untrusted
 * diffs, so delimited as data like the issue.
 */
export function renderRepoKnowledge(findings: readonly Finding[] | undefined): string {
  if (!findings?.length) return '';
  return `What the tasks of earlier goals in this repository learned (follow them where they apply; task descriptions may pass them on):
${asData('findings', sanitizePlain(renderFindings(findings), REPO_KNOWLEDGE_CHARS))}`;
}
