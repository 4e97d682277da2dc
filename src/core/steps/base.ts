import { clip, LIMITS, type Draft } from '../draft.js';
import type { GoalEvent } from '../events.js';
import { isRunning, type GoalState } from '../goal.js';
import { ignore, type Handler, type Ignored } from './handler.js';

/**
 * The base: CI's verdict on the sha the goal branch starts from, known before anything lands, so
 * a default branch that is already red pauses the goal instead of failing the first task to land.
 */

/** Landing waits for the base's verdict, and does not start on a red base. */
export function baseHoldsLanding(s: GoalState): boolean {
  const v = s.baseVerdict?.verdict;
  return v === 'pending' || v === 'red';
}

export const onBaseVerdict: Handler<'base.verdict'> = (d, e) => {
  const b = d.s.baseVerdict;
  if (!b || b.sha !== e.sha)
    return ignore('superseded', `${e.sha.slice(0, 7)} is not the base this goal waits for`);
  if (b.verdict !== 'pending')
    return ignore('duplicate', `the base ${b.sha.slice(0, 7)} is already judged (${b.verdict})`);
  if (e.verdict === 'green') {
    d.s.baseVerdict = { ...b, verdict: 'green' };
    return undefined;
  }
  const failedChecks = e.failedChecks
    .slice(0, LIMITS.failureItems)
    .map((c) => clip(c, LIMITS.failureItem));
  d.s.baseVerdict = { ...b, verdict: 'red', failedChecks };
  if (isRunning(d.s.status))
    d.setStatus(
      'paused',
      'base',
      `The default branch is red: CI failed on the base ${e.sha.slice(0, 7)}${failedChecks.length ? ` (${failedChecks.join(', ')})` : ''}, before anything of this goal landed. Nothing lands on a red base: fix the default branch (or re-run its checks), then \`/gantry resume\` checks it again; if this goal is what fixes it, \`/gantry resume known-red\` goes on with those checks judging no landing until one passes them.`,
    );
  return undefined;
};

/**
 * No CI reported on the base within CI's time limit: a repository without CI, whose goals land as
 * they always did (the landings' own CI then follows `ci.policy`). Undefined when it is not due.
 */
export function baseTimedOut(d: Draft, at: number): Ignored | undefined {
  const b = d.s.baseVerdict;
  if (b?.verdict !== 'pending') return ignore('not-due', 'the base is not waiting for CI');
  const { timeoutMs } = d.s.settings.ci;
  if (at - b.since < timeoutMs) return ignore('not-due', 'CI has time left on the base');
  d.s.baseVerdict = { ...b, verdict: 'none' };
  d.setStatus(
    d.s.status,
    d.s.pausedFor,
    `No CI reported on the base ${b.sha.slice(0, 7)} within ${Math.round(timeoutMs / 60_000)} min: Gantry lands without a verdict on it.`,
  );
  return undefined;
}

/**
 * `/gantry resume` on a red base asks for its verdict again. When the default branch moved
 * (`baseSha`, a fix pushed there) and nothing landed yet, the goal starts from the new head: the
 * goal branch moves there (an owed reset, or the branch is made there), later attempts start
 * from it, and attempts already made on the old base still land on it as merges. With
 * `knownRed`, the goal goes on on the base it has, wherever the default branch went: the checks
 * that fail there (`failedChecks` as read now, else those of the verdict) judge no landing until
 * one passes them (a goal that is meant to fix the default branch).
 */
export function recheckBase(d: Draft, e: Extract<GoalEvent, { type: 'resume' }>): void {
  const b = d.s.baseVerdict;
  if (b?.verdict !== 'red') return;
  if (e.knownRed) {
    const knownRed = [...new Set(e.failedChecks ?? b.failedChecks ?? [])].slice(0, KNOWN_RED_MAX);
    d.s.baseVerdict = { ...b, verdict: 'known-red', knownRed };
    return;
  }
  const old = b.sha;
  const moved = e.baseSha !== undefined && e.baseSha !== old && d.s.lastGreen === old;
  const sha = moved && e.baseSha !== undefined ? e.baseSha : old;
  d.s.baseVerdict = { sha, verdict: 'pending', since: e.at };
  if (!moved) return;
  d.s.lastGreen = sha;
  // A branch already made is moved there by an owed reset (it is forced: the new base is not
  // a descendant of the old one); one not made yet is made there.
  if (d.s.branchCreated) d.s.resetPending = { toSha: sha, fromSha: old };
  else d.s.goalHead = sha;
}

/** Known-red checks kept at most (the state stays small; check names are short). */
const KNOWN_RED_MAX = 50;

/**
 * A candidate's CI verdict as Gantry judges it on a `known-red` base: a red verdict whose failed
 * checks are all still red from the base is green (nothing new broke) once every check finished
 * (undefined until then: a check still running may fail too), and a red one blames only the
 * checks that were not. A green result carries the known-red checks still red on it (`still`),
 * which the candidate takes off the list when it lands (`narrowKnownRed`): a dropped candidate
 * changes nothing. Any other verdict is returned as it is.
 */
export function judgeKnownRed(
  s: GoalState,
  e: Extract<GoalEvent, { type: 'ci.verdict' }>,
): { event: Extract<GoalEvent, { type: 'ci.verdict' }>; still?: string[] } | undefined {
  const b = s.baseVerdict;
  if (b?.verdict !== 'known-red' || !b.knownRed?.length) return { event: e };
  const known = b.knownRed;
  if (e.verdict === 'green') return { event: e, still: [] };
  const blamed = e.failedChecks.filter((c) => !known.includes(c));
  // A red verdict that names no check cannot be excused: something failed that nobody knows.
  if (e.failedChecks.length === 0 || blamed.length > 0)
    return { event: { ...e, failedChecks: blamed } };
  if (e.unfinished) return undefined;
  return {
    event: { type: 'ci.verdict', at: e.at, sha: e.sha, verdict: 'green' },
    still: known.filter((c) => e.failedChecks.includes(c)),
  };
}

/** A candidate landed on a known-red base: the known-red checks it passed judge from now on. */
export function narrowKnownRed(d: Draft, still: readonly string[]): void {
  const b = d.s.baseVerdict;
  if (b?.verdict !== 'known-red' || !b.knownRed) return;
  const left = b.knownRed.filter((c) => still.includes(c));
  if (left.length !== b.knownRed.length) d.s.baseVerdict = { ...b, knownRed: left };
}
