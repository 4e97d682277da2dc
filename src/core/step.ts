import { Draft } from './draft.js';
import type { AuditRecord } from './effects.js';
import type { GoalEvent } from './events.js';
import type { GoalState } from './goal.js';
import { labelsFor } from './labels.js';
import { advance } from './schedule.js';
import {
  onBreaker,
  onBudget,
  onCancel,
  onCharged,
  onOutcomeReported,
  onPause,
  onPrAccountUpdated,
  onCommandHandled,
  onPrMarkedReady,
  onPrOpened,
  onResume,
} from './steps/control.js';
import { onBaseVerdict } from './steps/base.js';
import type { Handler, HandlerTable, Ignored } from './steps/handler.js';
import { onBranchCreated, onRefAdvanced, onRefReset, onRefsDeleted } from './steps/landing.js';
import { onLanding, onTick, onVerdict } from './steps/queue.js';
import {
  onApprovals,
  onPlan,
  onPlanFailed,
  onPlanDeferred,
  onReplan,
  onStart,
} from './steps/plan.js';
import { onEscalationPosted, onRecovery, onRetry, onSkip } from './steps/recovery.js';
import {
  onCancelSent,
  onDispatched,
  onDispatchSent,
  onFinished,
  onReviewed,
  onRunNotFound,
  onCapReached,
} from './steps/runs.js';

export type { Ignored, IgnoredCode } from './steps/handler.js';

export interface StepResult {
  state: GoalState;
  /** Set when the event did not apply; the state is then the same object as before. */
  ignored?: Ignored;
  audit: AuditRecord[];
}

/** Every event type and the handler that applies it (steps/ holds them by concern). */
const HANDLERS: HandlerTable = {
  'plan.proposed': (d, e) => onPlan(d, e),
  'plan.replaced': (d, e) => onPlan(d, e),
  'plan.failed': onPlanFailed,
  'plan.deferred': onPlanDeferred,
  'replan.requested': onReplan,
  'approvals.changed': onApprovals,
  start: onStart,
  'goal-branch.created': onBranchCreated,
  'task.dispatch-sent': onDispatchSent,
  'task.dispatched': onDispatched,
  'task.finished': onFinished,
  'task.reviewed': onReviewed,
  'run.cancel-sent': onCancelSent,
  'run.not-found': onRunNotFound,
  'cap.reached': onCapReached,
  'landing.result': onLanding,
  'ci.verdict': onVerdict,
  'base.verdict': onBaseVerdict,
  'goal-ref.reset': onRefReset,
  'goal-ref.advanced': onRefAdvanced,
  'candidate-refs.deleted': onRefsDeleted,
  tick: onTick,
  'recovery.proposed': onRecovery,
  'escalation.posted': onEscalationPosted,
  'task.retry': onRetry,
  'task.skip': onSkip,
  pause: onPause,
  resume: onResume,
  cancel: onCancel,
  'budget.changed': onBudget,
  'breaker.changed': onBreaker,
  'outcome.reported': onOutcomeReported,
  'llm.charged': onCharged,
  'pr.opened': onPrOpened,
  'pr.marked-ready': onPrMarkedReady,
  'pr.account-updated': onPrAccountUpdated,
  'command.handled': onCommandHandled,
};

/**
 * The goal reducer. Total: every event is accepted in every state; one that does not apply
 * returns the same state and the reason, so duplicated, late and reordered events are harmless.
 * What the new state owes the outside world is derived from it by `owedEffects`.
 */
export function step(state: GoalState, event: GoalEvent): StepResult {
  const d = new Draft(state, event);
  const handler = HANDLERS[event.type] as Handler<GoalEvent['type']>;
  const ignored = handler(d, event);
  if (ignored !== undefined) return { state, ignored, audit: [] };
  advance(d);
  const s = d.s;
  s.labels = labelsFor(s);
  s.revision += 1;
  return { state: s, audit: d.audit };
}

/** Replay an event log from an initial state: the goal is a fold over its events. */
export function replay(initial: GoalState, events: readonly GoalEvent[]): GoalState {
  let state = initial;
  for (const e of events) state = step(state, e).state;
  return state;
}
