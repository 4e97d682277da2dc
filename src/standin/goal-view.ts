import { parsePlanComment } from '../core/checklist/parse.js';
import { isPlanCommentBody } from '../core/checklist/superseded.js';
import type { GoalState } from '../core/goal.js';
import { ConfigError, configErrorComment } from '../app/config.js';
import type { StandIn } from './stand-in.js';
import type { StoredIssue, StoredRepo } from './store.js';

/** Statuses after which a goal does nothing more on its own. */
const OVER = new Set(['done', 'partial', 'cancelled', 'failed']);

/** The first line of the App's comment on an invalid `.github/gantry.yml`. */
const CONFIG_ERROR = configErrorComment(new ConfigError([])).split('\n')[0]!;

/**
 * A goal as its issue shows it on the stand-in: Gantry's plan comment, the state signed in it,
 * and Gantry's other comments. What the demo prints and the scenarios assert on.
 */
export class GoalView {
  constructor(
    private readonly standIn: StandIn,
    private readonly repo: StoredRepo,
    readonly issue: StoredIssue,
    private readonly stateKey: string,
  ) {}

  /** When the maintainer labelled the issue, and when the goal ended (or stopped for a person). */
  labelledAt: number | undefined;
  endedAt: number | undefined;

  /** Gantry's live plan comment, known by its marker as the App knows it (not any other reply). */
  planComment() {
    return this.issue.comments.find(
      (c) => c.app?.id === this.standIn.app.id && isPlanCommentBody(c.body),
    );
  }

  /** Gantry's comment saying the repository's `.github/gantry.yml` is invalid, if it posted one. */
  configError() {
    return this.replies().find((c) => c.body.startsWith(CONFIG_ERROR));
  }

  /** The signed state in the plan comment; undefined before there is one. */
  state(): GoalState | undefined {
    const c = this.planComment();
    if (!c) return undefined;
    const parsed = parsePlanComment(c.body, this.stateKey, {
      repo: `${this.repo.owner}/${this.repo.name}`,
      issue: this.issue.number,
    });
    if (!parsed.state.ok) throw parsed.state.error;
    return parsed.state.state;
  }

  over(): boolean {
    return OVER.has(this.state()?.status ?? '');
  }

  /** Gantry's comments other than the plan comment. */
  replies() {
    const plan = this.planComment();
    return this.issue.comments.filter((c) => c.app?.id === this.standIn.app.id && c !== plan);
  }
}
