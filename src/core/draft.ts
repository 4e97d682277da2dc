import { Dag } from './dag.js';
import type { AuditRecord } from './effects.js';
import type { GoalEvent } from './events.js';
import {
  owesWork,
  type GoalState,
  type GoalStatus,
  type PauseReason,
  type TaskRun,
} from './goal.js';
import type { Plan } from './plan.js';

/** Caps on runtime text kept in the goal state (and so in the plan comment). */
export const LIMITS = {
  reason: 300,
  guidance: 1000,
  note: 1000,
  feedback: 4000,
  finding: 300,
  /** Failed criteria or refused paths of one failure, and the length of each. */
  failureItems: 10,
  failureItem: 200,
  /** Failed attempts kept for the pull request's account. */
  failureLog: 20,
} as const;

/**
 * `text` in at most `max` characters: cut at the last space when one is near the end (a word is
 * not cut in half), with `…` saying it was cut.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.search(/\s\S*$/);
  return `${space >= max * 0.8 ? cut.slice(0, space).trimEnd() : cut}…`;
}

interface PlanIndex {
  dag: Dag;
  /** Critical-path rank by estimate: the scheduler runs the highest first. */
  rank: number[];
}

// Plans are immutable values: the derived graph is computed once per plan object.
const planIndexes = new WeakMap<Plan, PlanIndex>();

export function planIndex(plan: Plan): PlanIndex {
  let idx = planIndexes.get(plan);
  if (!idx) {
    const dag = Dag.of(plan.tasks);
    idx = { dag, rank: dag.ranks() };
    planIndexes.set(plan, idx);
  }
  return idx;
}

/**
 * The working copy of one step, copy-on-write: the state and the arrays and records in it are
 * shared with the previous state until the step first writes to one, and each is copied at most
 * once per step. Only the tasks a step touches are new objects; the others stay shared.
 * The task list is persistent (`PersistentList`): a write copies one chunk of it, not the list.
 */
export class Draft {
  readonly s: GoalState;
  readonly audit: AuditRecord[] = [];
  // What this step allocated, by identity: only those are written in place. Anything else in
  // `s`, even if a handler assigned it, may be shared with an earlier state and is copied first.
  private ownUnmet: number[] | undefined;
  private ownReady: number[] | undefined;
  private ownCounts: GoalState['counts'] | undefined;
  private ownOutstanding: number[] | undefined;

  constructor(
    readonly prev: GoalState,
    readonly event: GoalEvent,
  ) {
    this.s = { ...prev, now: event.at };
  }

  get gid(): string {
    return `G${this.s.issue}`;
  }

  get plan(): Plan {
    if (!this.s.plan) throw new Error('the goal has no plan yet');
    return this.s.plan;
  }

  get index(): PlanIndex {
    return planIndex(this.plan);
  }

  taskId(i: number): string {
    return this.index.dag.id(i);
  }

  indexOf(taskId: string): number | undefined {
    return this.s.plan ? this.index.dag.index.get(taskId) : undefined;
  }

  task(i: number): TaskRun {
    const t = this.s.tasks.at(i);
    if (!t) throw new RangeError(`no task at index ${i}`);
    return t;
  }

  setTask(i: number, patch: Partial<TaskRun>, detail?: string): void {
    const old = this.task(i);
    const next = { ...old, ...patch };
    // Runtime text lives in the signed state inside the comment: keep it bounded.
    if (next.reason !== undefined) next.reason = clip(next.reason, LIMITS.reason);
    if (next.guidance !== undefined) next.guidance = clip(next.guidance, LIMITS.guidance);
    this.s.tasks = this.s.tasks.with(i, next);
    if (owesWork(next) !== owesWork(old)) this.track(i, owesWork(next));
    if (next.status !== old.status) {
      const counts = this.ownedCounts();
      counts[old.status] -= 1;
      counts[next.status] += 1;
      this.record(this.taskId(i), old.status, next.status, detail);
    }
  }

  setStatus(status: GoalStatus, pausedFor?: PauseReason, note?: string): void {
    const from = this.s.status === 'paused' ? `paused:${this.s.pausedFor}` : this.s.status;
    const to = status === 'paused' ? `paused:${pausedFor}` : status;
    this.s.status = status;
    this.s.pausedFor = status === 'paused' ? pausedFor : undefined;
    this.s.note = note === undefined ? undefined : clip(note, LIMITS.note);
    if (from !== to) this.record('goal', from, to, note);
  }

  unmet(): number[] {
    if (this.s.unmet !== this.ownUnmet) this.s.unmet = this.ownUnmet = this.s.unmet.slice();
    return this.s.unmet;
  }

  private ownedReady(): number[] {
    if (this.s.ready !== this.ownReady) this.s.ready = this.ownReady = this.s.ready.slice();
    return this.s.ready;
  }

  private ownedCounts(): GoalState['counts'] {
    if (this.s.counts !== this.ownCounts) this.s.counts = this.ownCounts = { ...this.s.counts };
    return this.s.counts;
  }

  /** Insert into the ready list, keeping highest rank first and plan order among equals. */
  addReady(i: number): void {
    const list = this.ownedReady();
    const { rank } = this.index;
    const before = (a: number, b: number) => rank[a]! > rank[b]! || (rank[a] === rank[b] && a < b);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(list[mid]!, i)) lo = mid + 1;
      else hi = mid;
    }
    if (list[lo] !== i) list.splice(lo, 0, i);
  }

  /** Re-sort the ready list after the plan (and so the ranks) changed. */
  resortReady(): void {
    const { rank } = this.index;
    this.s.ready = this.ownReady = [...this.s.ready].sort((a, b) => rank[b]! - rank[a]! || a - b);
  }

  removeReady(i: number): void {
    const at = this.s.ready.indexOf(i);
    if (at < 0) return;
    this.ownedReady().splice(at, 1);
  }

  /** Keep task `i` in (or out of) the index of tasks that owe outside work, in plan order. */
  private track(i: number, owes: boolean): void {
    if (this.s.outstanding === undefined || this.s.outstanding !== this.ownOutstanding) {
      this.ownOutstanding = this.s.outstanding?.slice() ?? outstandingOf(this.prev);
      this.s.outstanding = this.ownOutstanding;
    }
    const list = this.ownOutstanding;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    const present = list[lo] === i;
    if (owes && !present) list.splice(lo, 0, i);
    else if (!owes && present) list.splice(lo, 1);
  }

  record(subject: string, from: string, to: string, detail?: string): void {
    this.audit.push({
      at: this.event.at,
      ...(this.event.actor === undefined ? {} : { actor: this.event.actor }),
      event: this.event.type,
      subject,
      from,
      to,
      ...(detail === undefined ? {} : { detail }),
    });
  }
}

/** The tasks that owe outside work; scanned only for a state written before the index existed. */
export function outstandingOf(s: GoalState): number[] {
  if (s.outstanding) return s.outstanding;
  const list: number[] = [];
  s.tasks.forEach((t, i) => owesWork(t) && list.push(i));
  return list;
}
