import type { ProbotOctokit } from 'probot';
import { renderPlanComment } from '../core/checklist/render.js';
import { decodeState, type StateBlockError } from '../core/checklist/signed-state.js';
import { supersededComment } from '../core/checklist/superseded.js';
import type { Effect } from '../core/effects.js';
import type { GoalEvent } from '../core/events.js';
import type { GoalState } from '../core/goal.js';
import { labelsFor } from '../core/labels.js';
import { step, type StepResult } from '../core/step.js';
import { livePlanComments, type GoalFacts, type GoalRef, type IssueComment } from './goal-facts.js';
import { syncStateLabels } from './labels.js';
import type { StateMemory } from './state-memory.js';

export interface SessionOptions {
  octokit: ProbotOctokit;
  ref: GoalRef;
  facts: GoalFacts;
  stateKey: string;
  serverUrl?: string | undefined;
  memory: StateMemory;
  /** Bodies the live comment had before edits being handled (`changes.body.from`). */
  earlierBodies?: readonly string[];
}

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
  readonly effects: Effect[] = [];
  private freshComment = false;
  private supersede: { id: number; body: string }[] = [];
  private replies: string[] = [];
  private reactions: number[] = [];

  constructor(private readonly o: SessionOptions) {
    const live = livePlanComments(o.facts.comments);
    this.live = live.at(-1);
    this.supersede = live.slice(0, -1).map((c) => ({ id: c.id, body: c.body }));
    if (this.live) this.trust(this.live);
  }

  get ref(): GoalRef {
    return this.o.ref;
  }

  get facts(): GoalFacts {
    return this.o.facts;
  }

  /**
   * The state to trust: the newest validly signed state of this goal among the comment as it is,
   * the bodies it had before the edits being handled, and the last one Gantry wrote. A person
   * who pastes an older state or alters it cannot move the goal.
   */
  private trust(live: IssueComment): void {
    const expect = { repo: `${this.o.ref.owner}/${this.o.ref.repo}`, issue: this.o.ref.issue };
    const current = decodeState(live.body, this.o.stateKey, expect);
    const candidates: GoalState[] = [];
    if (current.ok) candidates.push(current.state);
    for (const body of this.o.earlierBodies ?? []) {
      const r = decodeState(body, this.o.stateKey, expect);
      if (r.ok) candidates.push(r.state);
    }
    const remembered = this.o.memory.get(live.id);
    if (remembered) candidates.push(remembered.state);
    const best = candidates.reduce<GoalState | undefined>(
      (a, b) => (!a || b.revision > a.revision ? b : a),
      undefined,
    );
    this.state = best;
    if (!best && !current.ok) this.damaged = current.error;
  }

  /** Apply an event to the trusted state; effects are kept for the shell. */
  apply(event: GoalEvent): StepResult {
    if (!this.state) throw new Error('no goal state to apply an event to');
    const r = step(this.state, event);
    this.state = r.state;
    this.effects.push(...r.effects);
    return r;
  }

  /** What `event` would do, without doing it. */
  preview(event: GoalEvent): StepResult | undefined {
    return this.state && step(this.state, event);
  }

  /** Start a new goal (or a new plan version) in a new comment; the old one is collapsed. */
  begin(state: GoalState): void {
    if (this.live) {
      const oldBody = this.state
        ? renderPlanComment(this.state, { key: this.o.stateKey, serverUrl: this.o.serverUrl })
        : this.live.body;
      this.supersede.push({ id: this.live.id, body: oldBody });
    }
    this.state = state;
    this.damaged = undefined;
    this.freshComment = true;
  }

  /** A reply on the issue; with `once`, skipped when Gantry already posted the same text. */
  reply(body: string, { once = false } = {}): void {
    if (once && this.o.facts.comments.some((c) => c.byBot && normalize(c.body) === normalize(body)))
      return;
    if (this.replies.includes(body)) return;
    this.replies.push(body);
  }

  /** A 👍 on a command comment that was carried out. */
  acknowledge(commentId: number): void {
    this.reactions.push(commentId);
  }

  /** Write what changed: the plan comment, collapsed old plans, labels, replies, reactions. */
  async flush(): Promise<void> {
    const { octokit, ref } = this.o;
    const { owner, repo } = ref;
    if (this.state) {
      const body = renderPlanComment(this.state, {
        key: this.o.stateKey,
        serverUrl: this.o.serverUrl,
      });
      if (!this.live || this.freshComment) {
        const { data } = await octokit.rest.issues.createComment({
          owner,
          repo,
          issue_number: ref.issue,
          body,
        });
        this.live = { id: data.id, body, html_url: data.html_url, byBot: true };
        this.o.facts.comments.push(this.live);
        this.freshComment = false;
      } else if (normalize(this.live.body) !== normalize(body)) {
        await octokit.rest.issues.updateComment({ owner, repo, comment_id: this.live.id, body });
        this.live.body = body;
      }
      this.o.memory.set(this.live.id, this.state, body);
      for (const old of this.supersede.splice(0))
        await octokit.rest.issues.updateComment({
          owner,
          repo,
          comment_id: old.id,
          body: supersededComment(old.body),
        });
      this.o.facts.issue.labels = await syncStateLabels(
        octokit,
        { owner, repo, number: ref.issue, labels: this.o.facts.issue.labels },
        labelsFor(this.state),
      );
    }
    for (const body of this.replies.splice(0)) {
      const { data } = await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: ref.issue,
        body,
      });
      this.o.facts.comments.push({ id: data.id, body, html_url: data.html_url, byBot: true });
    }
    for (const comment_id of this.reactions.splice(0))
      await octokit.rest.reactions.createForIssueComment({
        owner,
        repo,
        comment_id,
        content: '+1',
      });
  }
}
