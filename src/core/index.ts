/** The pure core: data in, data out. No I/O, no clock, no randomness. */
export * from './plan.js';
export * from './plan-error.js';
export * from './validate-plan.js';
export * from './criteria.js';
export * from './dag.js';
export * from './goal.js';
export * from './events.js';
export * from './effects.js';
export * from './step.js';
export * from './labels.js';
export * from './names.js';
export * from './breaker.js';
export * from './budget.js';
export * from './ledger.js';
export * from './money.js';
export * from './checklist/index.js';
export { LIMITS as RUNTIME_TEXT_LIMITS } from './draft.js';
export * from './inject-tasks.js';
