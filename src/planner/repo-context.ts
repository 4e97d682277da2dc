import type { RepoContext } from './planner.js';
import { renderRepoKnowledge } from './knowledge.js';
import { asData, sanitizeUntrusted } from './untrusted.js';

export const CONTEXT_LIMITS = { treeChars: 6000, readmeChars: 4000 } as const;

/**
 * A file tree within `maxChars`: every path when they fit; otherwise directories to the deepest
 * level that fits, each with its file count.
 */
export function summarizeTree(
  paths: readonly string[],
  maxChars: number = CONTEXT_LIMITS.treeChars,
): string {
  const sorted = [...paths].sort();
  const full = sorted.join('\n');
  if (full.length <= maxChars) return full;
  for (let depth = 3; depth >= 1; depth--) {
    const counts = new Map<string, number>();
    for (const p of sorted) {
      const parts = p.split('/');
      const key = parts.length > depth ? `${parts.slice(0, depth).join('/')}/` : p;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const lines = [...counts].map(([k, n]) => (k.endsWith('/') ? `${k} (${n} files)` : k));
    const text = lines.join('\n');
    if (text.length <= maxChars)
      return `${text}\n(${sorted.length} files in all, summarized by directory)`;
  }
  return `${full.slice(0, maxChars)}\n(… cut: ${sorted.length} files in all)`;
}

/** The repository as prompt text: stable for a repository, so it is cached between calls. */
export function renderRepoContext(repo: RepoContext): string {
  const parts = [`Repository: ${repo.fullName}`];
  if (repo.languages && Object.keys(repo.languages).length > 0) {
    const total = Object.values(repo.languages).reduce((a, b) => a + b, 0) || 1;
    const langs = Object.entries(repo.languages)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([l, n]) => `${l} ${Math.round((100 * n) / total)}%`);
    parts.push(`Languages: ${langs.join(', ')}`);
  }
  if (repo.testCommand) parts.push(`Test command: ${repo.testCommand}`);
  if (repo.rules?.length) parts.push(`House rules:\n${repo.rules.map((r) => `- ${r}`).join('\n')}`);
  parts.push(`Files:\n${summarizeTree(repo.tree)}`);
  if (repo.readme)
    parts.push(`README (excerpt):
${asData('readme', sanitizeUntrusted(repo.readme, CONTEXT_LIMITS.readmeChars))}`);
  const knowledge = renderRepoKnowledge(repo.knowledge);
  if (knowledge) parts.push(knowledge);
  return parts.join('\n\n');
}
