import { neutralize } from '../core/checklist/render.js';

/**
 * Text from outside (agent reasons, CI output, model answers) made inert for a comment Gantry
 * writes: it cannot open an HTML comment (where Gantry's markers and state live, so a reply can
 * never pass for a plan comment) and cannot mention people or teams.
 */
export function inert(text: string): string {
  return neutralize(text).replace(/@(?=[\w-])/g, '@\u2060');
}

/** Outside text as a quoted block of a reply. */
export function quoteOutside(text: string): string {
  return inert(text)
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}
