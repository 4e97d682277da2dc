import { createHash } from 'node:crypto';
import type { Task } from './plan.js';

/**
 * Hex digits of SHA-256 kept: 128 bits is beyond any collision search and keeps the signed state,
 * which holds one hash per approved task, small.
 */
const HASH_HEX = 32;

// Tasks are immutable values: each is hashed once.
const hashes = new WeakMap<Task, string>();

/**
 * The hash of everything a task runs with: the whole task the dispatch hands the agent (title,
 * description, criteria, scope, tier, dependencies, estimate). An approval records it; a task
 * runs only while its definition still has the approved hash. Key order does not matter.
 *
 * Which requirements the task covers (`covers`) is left out: it changes what the plan comment
 * and PR body report, not what the agent does, and leaving it out keeps the hashes of tasks
 * approved before requirements were traced (and of recovery tasks that inherit it) unchanged.
 */
export function taskDefinitionHash(task: Task): string {
  let hash = hashes.get(task);
  if (hash === undefined) {
    const { covers: _covers, ...runs } = task;
    hash = createHash('sha256').update(canonicalJson(runs)).digest('hex').slice(0, HASH_HEX);
    hashes.set(task, hash);
  }
  return hash;
}

/** Whether the task's current definition is the one that was approved. */
export function approvedAsDefined(task: Task, run: { approvedHash?: string | undefined }): boolean {
  return run.approvedHash !== undefined && run.approvedHash === taskDefinitionHash(task);
}

/** JSON with object keys sorted at every depth and undefined members left out. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
