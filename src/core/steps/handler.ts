import type { Draft } from '../draft.js';
import type { GoalEvent } from '../events.js';

/** Why an event did not apply. Callers branch on `code`; `message` is for people. */
export const IGNORED_CODES = [
  /** The event does not apply in the goal's (or the task's) current status. */
  'wrong-status',
  /** The event was made on an older plan version. */
  'stale-plan',
  /** The event names a task the plan does not have. */
  'unknown-task',
  /** The event is about an attempt, landing or sha that is no longer the current one. */
  'superseded',
  /** What the event records is already recorded (a duplicate delivery). */
  'duplicate',
  /** The event asks for nothing that differs from the state. */
  'no-change',
  /** The plan the event carries is not valid. */
  'invalid-plan',
  /** An approval without the person who gave it. */
  'no-approver',
  /** Start was ticked with no task approved. */
  'nothing-approved',
  /** A clock tick with nothing due. */
  'not-due',
] as const;
export type IgnoredCode = (typeof IGNORED_CODES)[number];

export interface Ignored {
  code: IgnoredCode;
  message: string;
}

export const ignore = (code: IgnoredCode, message: string): Ignored => ({ code, message });

/** Applies one event type to the draft, or says why it does not apply. */
export type Handler<T extends GoalEvent['type']> = (
  d: Draft,
  e: Extract<GoalEvent, { type: T }>,
) => Ignored | undefined;

/** One handler per event type: the compiler checks that none is missing. */
export type HandlerTable = { [T in GoalEvent['type']]: Handler<T> };
