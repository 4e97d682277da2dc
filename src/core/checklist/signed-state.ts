import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { GOAL_STATUSES, type GoalState } from '../goal.js';
import { reviveState, type GoalStateJson } from '../revive-state.js';

/**
 * The goal state hidden in the plan comment: `<!-- gantry:state v1 PAYLOAD.SIGNATURE -->`, with
 * PAYLOAD = base64url(deflate(JSON)) and SIGNATURE = HMAC-SHA256(key, "v1." + PAYLOAD). People
 * with write access can edit the comment, so a state whose signature does not verify is refused.
 */
const BLOCK = /<!-- gantry:state v1 ([A-Za-z0-9_-]+)\.([0-9a-f]{64}) -->/g;
const ANY_BLOCK = /<!-- gantry:state\b/g;
/** Refuse to inflate more than this: a signed state is never near it. */
const MAX_STATE_BYTES = 8 * 1024 * 1024;

export type StateError = 'missing' | 'tampered' | 'duplicated' | 'malformed' | 'foreign';

export class StateBlockError extends Error {
  constructor(
    readonly reason: StateError,
    message: string,
  ) {
    super(message);
    this.name = 'StateBlockError';
  }
}

function sign(key: string, payload: string): string {
  return createHmac('sha256', key).update(`v1.${payload}`).digest('hex');
}

export function encodeState(state: GoalState, key: string): string {
  if (!key) throw new Error('a signing key is needed to write the goal state');
  // The index of tasks owing work is derived: rebuilt on reading, not stored.
  const json = JSON.stringify({ ...state, outstanding: undefined });
  const payload = deflateRawSync(Buffer.from(json), { level: 9 }).toString('base64url');
  return `<!-- gantry:state v1 ${payload}.${sign(key, payload)} -->`;
}

/** Just enough shape checking to refuse a state from another version; the signature did the rest. */
const StateShape = z.looseObject({
  v: z.literal(1),
  status: z.enum(GOAL_STATUSES),
  issue: z.number().int().positive(),
  tasks: z.array(z.looseObject({ status: z.string(), attempt: z.number() })),
});

/**
 * Read and verify the state. With `expect`, a validly signed state of another goal (pasted from
 * another comment) is refused as 'foreign'.
 */
export function decodeState(
  body: string,
  key: string,
  expect?: { repo: string; issue: number },
): { ok: true; state: GoalState } | { ok: false; error: StateBlockError } {
  const fail = (reason: StateError, message: string) => ({
    ok: false as const,
    error: new StateBlockError(reason, message),
  });
  const blocks = [...body.matchAll(BLOCK)];
  const mentions = body.match(ANY_BLOCK)?.length ?? 0;
  if (mentions === 0) return fail('missing', 'the comment has no Gantry state block');
  if (mentions > 1) return fail('duplicated', 'the comment has more than one Gantry state block');
  const block = blocks[0];
  if (!block) return fail('tampered', 'the Gantry state block was altered');
  const [, payload = '', signature = ''] = block;
  const expected = Buffer.from(sign(key, payload), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return fail('tampered', 'the Gantry state signature does not match');
  try {
    const json = inflateRawSync(Buffer.from(payload, 'base64url'), {
      maxOutputLength: MAX_STATE_BYTES,
    }).toString('utf8');
    const raw: unknown = JSON.parse(json);
    const parsed = StateShape.safeParse(raw);
    if (!parsed.success)
      return fail(
        'malformed',
        `the Gantry state is not a version 1 goal state: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    // The parsed JSON, not zod's copy: zod reorders keys, and a state that re-encodes to the
    // same text lets an unchanged comment be recognised and left alone.
    const state = reviveState(raw as GoalStateJson);
    if (expect && (state.repo !== expect.repo || state.issue !== expect.issue))
      return fail(
        'foreign',
        `the Gantry state belongs to ${state.repo}#${state.issue}, not ${expect.repo}#${expect.issue}`,
      );
    return { ok: true, state };
  } catch (e) {
    return fail('malformed', `the Gantry state cannot be read: ${(e as Error).message}`);
  }
}
