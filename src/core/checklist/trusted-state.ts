import { goalIdentity, type GoalState } from '../goal.js';
import { decodeState, StateBlockError } from './signed-state.js';

export interface StateSources {
  /** The plan comment's body as it is now. */
  body: string;
  /** Its bodies before the people's edits being handled (`changes.body.from` of the webhooks). */
  earlierBodies: readonly string[];
  /** The state Gantry last wrote to this comment, when the App remembers it. */
  remembered?: GoalState | undefined;
  key: string;
  /** The goal's repository and issue: a state signed for another goal is refused. */
  expect: { repo: string; issue: number };
}

/**
 * Which goal state to trust. The goal is the one Gantry last wrote to the comment (or, after a
 * restart, the one the comment held before the edit being handled); among the validly signed
 * states of that goal (the comment as it is, its body before people's edits, the last written)
 * the newest revision wins. An altered state, an older one pasted back, or one of an earlier goal
 * on the same issue is never trusted: then the error says why.
 */
export function trustedState(
  src: StateSources,
): { ok: true; state: GoalState } | { ok: false; error: StateBlockError } {
  const current = decodeState(src.body, src.key, src.expect);
  const earlier = src.earlierBodies.flatMap((body) => {
    const r = decodeState(body, src.key, src.expect);
    return r.ok ? [r.state] : [];
  });
  const anchor = src.remembered ?? earlier[0] ?? (current.ok ? current.state : undefined);
  const candidates = [...(current.ok ? [current.state] : []), ...earlier];
  if (src.remembered) candidates.push(src.remembered);
  const state = candidates
    .filter((c) => anchor && goalIdentity(c) === goalIdentity(anchor))
    .reduce<GoalState | undefined>((a, b) => (!a || b.revision > a.revision ? b : a), undefined);
  if (state) return { ok: true, state };
  return {
    ok: false,
    error: current.ok
      ? new StateBlockError('foreign', 'the Gantry state belongs to another goal')
      : current.error,
  };
}
