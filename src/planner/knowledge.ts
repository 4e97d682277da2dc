import type { Finding } from '../core/findings.js';

export { mergeFindings, MAX_FINDINGS, type Finding } from '../core/findings.js';

/** Findings as prompt text for a later task. */
export function renderFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return '';
  return findings.map((f) => `- [${f.kind}] ${f.text} (from ${f.source})`).join('\n');
}
