import type { TaskResult } from './task-result.js';

/** Destinations named in one note; the rest are counted. */
const SHOWN = 3;

/**
 * What containment refused during an attempt, in one short sentence for the attempt's reason
 * (the issue, the pull request's failed attempts): `the network refused a.example:443 (3 times)
 * and b.example:80; the model gateway refused 2 calls`. Undefined when nothing was refused.
 *
 * Destinations come from the result file, which the agent job wrote: only the characters of a
 * `host:port` are kept (anything else becomes `?`), so the reason they join carries no markup of
 * its own; the reason is made inert where it is shown, like every other part of it.
 */
export function containmentNote(c: TaskResult['containment']): string | undefined {
  if (!c) return undefined;
  const parts: string[] = [];
  const refused = c.egressRefused;
  if (refused.length) {
    const named = refused
      .slice(0, SHOWN)
      .map((r) => `${hostPort(r.destination)}${r.count > 1 ? ` (${r.count} times)` : ''}`);
    const more = refused.length - SHOWN;
    if (more > 0) named.push(`${more} more destination${more === 1 ? '' : 's'}`);
    parts.push(`the network refused ${joined(named)}`);
  }
  if (c.gatewayRefused > 0)
    parts.push(
      `the model gateway refused ${c.gatewayRefused} call${c.gatewayRefused === 1 ? '' : 's'}`,
    );
  return parts.length ? parts.join('; ') : undefined;
}

function hostPort(destination: string): string {
  return destination.slice(0, 100).replace(/[^A-Za-z0-9.:\-[\]]/g, '?');
}

function joined(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : items[0]!;
}
