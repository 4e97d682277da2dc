import type { GoalEvent } from '../core/events.js';
import { mergeFindings } from '../core/findings.js';
import type { Task } from '../core/plan.js';
import type { TaskResult } from '../core/task-result.js';
import { PlannerError } from '../planner/errors.js';
import { charge } from './charges.js';
import type { GoalContext } from './goal-context.js';

type Finished = Extract<GoalEvent, { type: 'task.finished' }>;

/**
 * How long the attempt waits for its findings before it lands without them: the goal's pass
 * waits meanwhile, and a model call may take minutes with its retries. An answer after that is
 * dropped (and its cost not counted against the goal: the price of never holding a landing).
 */
export const KNOWLEDGE_WAIT_MS = 90_000;

class TookTooLong extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TookTooLong(ms)), ms);
    timer.unref();
  });
  p.catch(() => {}); // A late failure is nobody's to handle.
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * A successful attempt, with what the planner (its cheap knowledge model, charged to the goal)
 * found in the task's summary and diff added to what the agent reported itself, so every backend
 * hands knowledge on. Asked once, as the attempt is recorded: a failed extraction is logged and
 * the attempt lands without it, never held back or asked again.
 */
export async function withFindings(
  g: GoalContext,
  task: Task,
  event: Finished,
  result: TaskResult,
  patch: string,
): Promise<Finished> {
  if (!g.config.ok || event.outcome !== 'success') return event;
  const summary = result.summary || result.reason;
  if (!patch.trim() && !summary.trim()) return event;
  const known = g.session.state!.findings ?? [];
  const own = (event.findings ?? []).map((f) => ({ ...f, source: task.id }));
  const before = mergeFindings(known, own);
  try {
    const { value, calls } = await within(
      KNOWLEDGE_WAIT_MS,
      g.deps
        .planner(g.config.value)
        .extractKnowledge({ task, summary, diff: patch, known: before }),
    );
    charge(g, 'knowledge', calls);
    const had = new Set(known.map((f) => f.text));
    const found = value
      .filter((f) => !had.has(f.text))
      .map((f) => ({ kind: f.kind, text: f.text }));
    return found.length ? { ...event, findings: found } : event;
  } catch (e) {
    if (e instanceof PlannerError) charge(g, 'knowledge', e.calls);
    g.deps.log?.warn(
      {
        goal: `${g.ref.owner}/${g.ref.repo}#${g.ref.issue}`,
        task: task.id,
        attempt: event.attempt,
      },
      `knowledge extraction failed, ${task.id} lands without it: ${e instanceof PlannerError ? e.userMessage : (e as Error).message}`,
    );
    return event;
  }
}
