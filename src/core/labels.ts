import type { GoalState } from './goal.js';

export const STATE_LABELS = [
  'gantry:awaiting-approval',
  'gantry:running',
  'gantry:done',
  'gantry:needs-human',
] as const;

/** The state labels a goal should carry: they mirror the goal status. */
export function labelsFor(s: Pick<GoalState, 'status' | 'counts'>): string[] {
  switch (s.status) {
    case 'awaiting-approval':
      return ['gantry:awaiting-approval'];
    case 'running':
    case 'paused':
      return s.counts['needs-human'] > 0
        ? ['gantry:running', 'gantry:needs-human']
        : ['gantry:running'];
    case 'done':
      return ['gantry:done'];
    case 'partial':
      return ['gantry:needs-human'];
    case 'planning':
    case 'cancelled':
    case 'failed':
      return [];
  }
}
