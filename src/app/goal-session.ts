import { randomUUID } from 'node:crypto';
import { renderPlanComment } from '../core/checklist/render.js';
import type { StateBlockError } from '../core/checklist/signed-state.js';
import { trustedState } from '../core/checklist/trusted-state.js';
import { supersededComment } from '../core/checklist/superseded.js';
import { owedEffects } from '../core/owed-effects.js';
import type { GoalEvent } from '../core/events.js';
import { isFinished, type GoalState } from '../core/goal.js';
import { labelsFor } from '../core/labels.js';
import { step, type StepResult } from '../core/step.js';
import { toMicros } from '../core/money.js';
import { attemptKey } from './ledger-key.js';
import {
  goalKey,
  livePlanComments,
  type GoalFacts,
  type GoalRef,
  type IssueComment,
} from './goal-facts.js';
import type { GitHubPort } from './github/github-port.js';
import { logStep, type GoalLog } from './goal-log.js';
import { syncStateLabels } from './labels.js';
import type { StateMemory } from './state-memory.js';
import type { GantryStore, GoalEventRow } from './store/store.js';

export interface SessionOptions {
  github: GitHubPort;
  ref: GoalRef;
  facts: GoalFacts;
  stateKey: string;
  serverUrl?: string | undefined;
  memory: StateMemory;
  /** Bodies comments had before people's edits being handled (`changes.body.from`). */
  earlierBodies?: readonly { commentId: number; body: string }[];
  /** Where each applied step is logged (`logStep`). */
  log?: GoalLog | undefined;
  /** Where what Gantry wrote and the goal's timeline are kept across restarts and replicas. */
  store?: Pick<GantryStore, 'wroteGoal' | 'appendEvents' | 'settle' | 'charge'> | undefined;
  /**
   * Coalescing of plan-comment edits: an edit within this long of Gantry's last one waits for a
   * later flush (`deferEdit`). 0 or unset: every change is written at once.
   */
  editEveryMs?: number | undefined;
  /** The clock of `editEveryMs` (default: `Date.now`). */
  now?: (() => number) | undefined;
  /** A sweep: what waits is written now. */
  sweep?: boolean | undefined;
}

/** What of a plan comment is written at once when it changes: the status, labels, tasks. */
const shapeOf = (s: GoalState): string =>
  [
    s.status,
    labelsFor(s).join(','),
    s.planVersion,
    (s.plan?.tasks ?? []).map((t) => t.id).join(','),
  ].join(' ');

/** Goals that are over: a deleted plan comment of one of these is not brought back. */

const normalize = (body: string) => body.replace(/\r\n?/g, '\n').trimEnd();

/**
 * One reconcile of one goal: the trusted state, the events applied to it, and the writes that
 * follow (plan comment, labels, replies), done once at `flush` and skipped when nothing changed.
 */
export class GoalSession {
  state: GoalState | undefined;
  /** The live plan comment, once there is one. */
  live: IssueComment | undefined;
  /** Set when the live comment's state cannot be trusted and no good copy was found. */
  damaged: StateBlockError | undefined;
  private freshComment = false;
  private supersede: { id: number; body: string }[] = [];
  private replies: string[] = [];
  private reactions: number[] = [];
  /** What the steps applied since the last flush recorded, for the goal's timeline. */
  private timeline: GoalEventRow[] = [];
  /** Money the steps applied since the last flush settled or spent, for the ledger. */
  private money: (
    | { settle: string; micros: number; at: number }
    | { charge: string; kind: string; micros: number; at: number }
  )[] = [];

  constructor(private readonly o: SessionOptions) {
    const live = livePlanComments(o.facts.comments);
    this.live = live.at(-1);
    this.supersede = live.slice(0, -1).map((c) => ({ id: c.id, body: c.body }));
    const remembered = o.memory.goal(goalKey(o.ref));
    if (this.live)
      this.trust(this.live, remembered?.commentId === this.live.id ? remembered.state : undefined);
    else if (remembered && !isFinished(remembered.state.status)) {
      // The plan comment of a goal in progress was deleted: post it again rather than lose it.
      this.state = remembered.state;
      this.freshComment = true;
    }
  }

  get ref(): GoalRef {
    return this.o.ref;
  }

  get facts(): GoalFacts {
    return this.o.facts;
  }

  /** Effects on GitHub beyond the comment and labels are waiting to be carried out. */
  get owesEffects(): boolean {
    const s = this.state;
    return (
      s !== undefined &&
      owedEffects(s, s.now).some((e) => e.type !== 'update-plan-comment' && e.type !== 'set-labels')
    );
  }

  /** A new comment is about to be posted (new goal, replan, or a deleted one restored). */
  get pendingNewComment(): boolean {
    return this.freshComment;
  }

  /** The state to trust, as the core decides it (`trustedState`), or why none can be. */
  private trust(live: IssueComment, remembered: GoalState | undefined): void {
    const r = trustedState({
      body: live.body,
      earlierBodies: (this.o.earlierBodies ?? [])
        .filter((e) => e.commentId === live.id)
        .map((e) => e.body),
      remembered,
      key: this.o.stateKey,
      expect: { repo: `${this.o.ref.owner}/${this.o.ref.repo}`, issue: this.o.ref.issue },
    });
    if (r.ok) this.state = r.state;
    else this.damaged = r.error;
  }

  /** Apply an event to the trusted state (what it then owes is derived by `owedEffects`). */
  apply(event: GoalEvent): StepResult {
    if (!this.state) throw new Error('no goal state to apply an event to');
    const r = step(this.state, event);
    this.state = r.state;
    if (this.o.log) logStep(this.o.log, this.o.ref, event, r);
    if (!r.ignored) this.noteMoney(event);
    this.timeline.push(
      ...r.audit.map((a) => ({
        at: a.at,
        kind: a.event,
        detail: {
          subject: a.subject,
          from: a.from,
          to: a.to,
          ...(a.actor ? { actor: a.actor } : {}),
          ...(a.detail ? { detail: a.detail } : {}),
        },
      })),
    );
    return r;
  }

  /** What an applied event does to the ledger (written at flush). */
  private noteMoney(event: GoalEvent): void {
    const key = goalKey(this.o.ref);
    const s = this.state!;
    if (event.type === 'task.finished' || event.type === 'run.not-found')
      this.money.push({
        settle: attemptKey(key, s, event.taskId, event.attempt),
        micros: event.type === 'task.finished' ? toMicros(Math.max(0, event.usage.costUsd)) : 0,
        at: event.at,
      });
    else if (event.type === 'llm.charged')
      this.money.push({
        charge: `${key}:${s.id ?? 'goal'}:${event.operation}:${randomUUID()}`,
        kind: event.operation,
        micros: toMicros(Math.max(0, event.costUsd)),
        at: event.at,
      });
  }

  /** What `event` would do, without doing it. */
  preview(event: GoalEvent): StepResult | undefined {
    return this.state && step(this.state, event);
  }

  /**
   * Start a new goal (or a new plan version) in a new comment; the old one is collapsed, showing
   * `shown` (the state it held; by default the current one).
   */
  begin(state: GoalState, shown: GoalState | undefined = this.state): void {
    if (this.live) {
      const oldBody = shown
        ? renderPlanComment(shown, { key: this.o.stateKey, serverUrl: this.o.serverUrl })
        : this.live.body;
      this.supersede.push({ id: this.live.id, body: oldBody });
    }
    this.state = state;
    this.damaged = undefined;
    this.freshComment = true;
  }

  /** The plan comment as Gantry would write it for the trusted state. */
  rendered(): string | undefined {
    return this.state
      ? renderPlanComment(this.state, { key: this.o.stateKey, serverUrl: this.o.serverUrl })
      : undefined;
  }

  /**
   * The live plan comment differs from what Gantry wrote (someone edited it). Not when it is what
   * Gantry last sent and a newer render waits (`deferEdit`): nobody touched it since.
   */
  get liveEdited(): boolean {
    const rendered = this.rendered();
    if (!this.live || rendered === undefined) return false;
    const live = normalize(this.live.body);
    if (live === normalize(rendered)) return false;
    const sent = this.o.memory.sentPlan(this.live.id);
    return !(sent && live === normalize(sent.body));
  }

  /** A plan-comment edit was left for a later flush (`deferEdit`). */
  deferred = false;

  /**
   * Whether an edit of the live plan comment to `state` may wait for a later flush: only progress
   * within an unchanged shape (`shapeOf`) of a comment nobody edited since Gantry last sent it,
   * less than `editEveryMs` after that, outside a sweep, with nothing else to post. The state is
   * kept in memory and in the store meanwhile (the trusted state takes the newest), so nothing is
   * lost; a restart without the store is a crash before the flush, which the executor redoes.
   */
  private deferEdit(state: GoalState): boolean {
    const { editEveryMs = 0, sweep, memory } = this.o;
    const live = this.live;
    if (!editEveryMs || sweep || !live || this.freshComment) return false;
    if (this.supersede.length || this.replies.length || this.reactions.length) return false;
    const sent = memory.sentPlan(live.id);
    if (!sent || normalize(sent.body) !== normalize(live.body)) return false;
    const now = (this.o.now ?? Date.now)();
    return now - sent.at < editEveryMs && sent.shape === shapeOf(state);
  }

  private sent(commentId: number, body: string, state: GoalState): void {
    const at = (this.o.now ?? Date.now)();
    this.o.memory.sentPlanComment(commentId, { body, at, shape: shapeOf(state) });
  }

  /** A reply on the issue; with `once`, skipped when Gantry already posted the same text. */
  reply(body: string, { once = false } = {}): void {
    if (once && this.o.facts.comments.some((c) => c.byBot && normalize(c.body) === normalize(body)))
      return;
    if (this.replies.includes(body)) return;
    this.replies.push(body);
  }

  /**
   * A comment posted now, once (skipped when Gantry already posted the same text): for work the
   * state records as done only once it is on the issue, such as a question for a person.
   */
  async post(body: string): Promise<void> {
    const { github, ref, facts } = this.o;
    if (facts.comments.some((c) => c.byBot && normalize(c.body) === normalize(body))) return;
    const posted = await github.createComment(ref.issue, body);
    facts.comments.push({ id: posted.id, body, htmlUrl: posted.htmlUrl, byBot: true });
  }

  /** A 👍 on a command comment that was carried out. */
  acknowledge(commentId: number): void {
    this.reactions.push(commentId);
  }

  private async writeMoney(): Promise<void> {
    const { store, ref } = this.o;
    const repo = `${ref.owner}/${ref.repo}`;
    for (const m of this.money.splice(0)) {
      if (!store) continue;
      // Not written, a settle leaves the reservation counted (never less than was spent).
      const write =
        'settle' in m
          ? store.settle(m.settle, m.micros, m.at)
          : store.charge({
              key: m.charge,
              repo,
              goalKey: goalKey(ref),
              kind: m.kind,
              micros: m.micros,
              at: m.at,
            });
      await write.catch((err: unknown) =>
        this.o.log?.warn(
          { err, goal: goalKey(ref) },
          `goal ${goalKey(ref)}: the ledger could not record ${'settle' in m ? 'a settled attempt' : 'a planner charge'} (${err instanceof Error ? err.message : String(err)})`,
        ),
      );
    }
  }

  /**
   * Keep what Gantry wrote and the steps' timeline in the store. It is a safeguard beside GitHub
   * (an older state pasted back after a restart is refused): a write to it that fails is logged
   * and does not stop the rest of the step, whose comment is already on GitHub.
   */
  private async keep(state: GoalState, commentId: number, body: string): Promise<void> {
    const { store, ref, log } = this.o;
    const events = this.timeline.splice(0);
    if (!store) return;
    const key = goalKey(ref);
    const failed = (what: string) => (err: unknown) =>
      log?.warn(
        { err, goal: key },
        `goal ${key}: the store could not keep ${what} (${err instanceof Error ? err.message : String(err)}); the step goes on without it`,
      );
    await store
      .wroteGoal(key, { goalId: state.id, commentId, revision: state.revision, body })
      .catch(failed(`the state Gantry wrote (revision ${state.revision})`));
    await store
      .appendEvents(key, state.id, events)
      .catch(failed(`${events.length} timeline events`));
  }

  /** Write what changed: the plan comment, collapsed old plans, labels, replies, reactions. */
  async flush(): Promise<void> {
    const { github, ref } = this.o;
    if (this.state) {
      const body = renderPlanComment(this.state, {
        key: this.o.stateKey,
        serverUrl: this.o.serverUrl,
      });
      if (!this.live || this.freshComment) {
        const posted = await github.createComment(ref.issue, body);
        this.live = { id: posted.id, body, htmlUrl: posted.htmlUrl, byBot: true };
        this.o.facts.comments.push(this.live);
        this.freshComment = false;
        this.sent(posted.id, body, this.state);
        this.deferred = false;
      } else if (normalize(this.live.body) !== normalize(body)) {
        this.deferred = this.deferEdit(this.state);
        if (!this.deferred) {
          // Remembered first: the webhook of this edit may come back before the answer does.
          this.o.memory.wroteComment(this.live.id, body);
          await github.updateComment(this.live.id, body);
          this.live.body = body;
          this.sent(this.live.id, body, this.state);
        }
      } else this.deferred = false;
      this.o.memory.wroteComment(this.live.id, body);
      this.o.memory.wroteState(goalKey(ref), this.live.id, this.state);
      await this.keep(this.state, this.live.id, body);
      await this.writeMoney();
      for (const old of this.supersede.splice(0)) {
        const collapsed = supersededComment(old.body);
        this.o.memory.wroteComment(old.id, collapsed);
        await github.updateComment(old.id, collapsed);
        const fact = this.o.facts.comments.find((c) => c.id === old.id);
        if (fact) fact.body = collapsed; // the facts stay true for the next reconcile (KnownFacts)
      }
      this.o.facts.issue.labels = await syncStateLabels(
        github,
        { number: ref.issue, labels: this.o.facts.issue.labels },
        labelsFor(this.state),
      );
    }
    for (const body of this.replies.splice(0)) {
      const posted = await github.createComment(ref.issue, body);
      this.o.facts.comments.push({ id: posted.id, body, htmlUrl: posted.htmlUrl, byBot: true });
    }
    for (const commentId of this.reactions.splice(0)) await github.approveComment(commentId);
  }
}
