export const FINDING_KINDS = ['constraint', 'decision', 'gotcha'] as const;

/** Something learned while doing one task that later tasks should know. */
export interface Finding {
  kind: (typeof FINDING_KINDS)[number];
  text: string;
  /** The task it was learned from. */
  source: string;
}

export const MAX_FINDINGS = 30;

/** What makes two findings the same: their words, whatever the case or punctuation. */
export const findingKey = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/**
 * Add new findings to the known ones: duplicates (same words, any case or punctuation) are
 * dropped, and when over the bound the oldest go first, so the list stays small enough to put in
 * every later task's prompt.
 */
export function mergeFindings(
  known: readonly Finding[],
  found: readonly Finding[],
  max = MAX_FINDINGS,
): Finding[] {
  const seen = new Set(known.map((f) => findingKey(f.text)));
  const merged = [...known];
  for (const f of found) {
    const key = findingKey(f.text);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    merged.push(f);
  }
  return merged.slice(Math.max(0, merged.length - max));
}
