import { afterAll } from 'vitest';
import type { Scenario } from '../support/standin-scenario.js';

const rows: string[] = [];
afterAll(() => {
  if (rows.length) console.log(`REST calls per landed task (from the label):\n${rows.join('\n')}`);
});

/** The App's requests per landed task, reported for the note and the bench; returned to assert on. */
export function perLandedTask(name: string, w: Scenario): number {
  const landed = w.state().tasks.filter((t) => t.status === 'done').length;
  const calls = w.appRequests().length;
  const per = calls / Math.max(landed, 1);
  rows.push(`  ${name}: ${calls} calls, ${landed} landed, ${per.toFixed(1)} per task`);
  return per;
}

/** The App's requests in all, for a scenario that lands no task; returned to assert on. */
export function appCalls(name: string, w: Scenario): number {
  const calls = w.appRequests().length;
  rows.push(`  ${name}: ${calls} calls, nothing landed`);
  return calls;
}
