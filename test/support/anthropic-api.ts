import nock from 'nock';

export const API = 'https://api.anthropic.com';

/** A Messages API response as the API sends it. */
export function messageResponse(
  text: string,
  opts: {
    model?: string;
    stopReason?: string;
    usage?: Partial<
      Record<
        | 'input_tokens'
        | 'output_tokens'
        | 'cache_creation_input_tokens'
        | 'cache_read_input_tokens',
        number
      >
    >;
  } = {},
) {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: opts.model ?? 'claude-opus-5-5',
    content: [{ type: 'text', text }],
    stop_reason: opts.stopReason ?? 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 1200,
      output_tokens: 800,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
      ...opts.usage,
    },
  };
}

export function errorResponse(type: string, message: string) {
  return { type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
}

export interface Recorded {
  bodies: Record<string, unknown>[];
}

/**
 * Answer successive POST /v1/messages with the given replies, recording each request body.
 * A reply is [status, body, headers?].
 */
export function answerMessages(
  replies: [number, object, Record<string, string>?][],
): Recorded & { scope: nock.Scope } {
  const recorded: Recorded = { bodies: [] };
  const scope = nock(API);
  for (const [status, body, headers] of replies)
    scope
      .post('/v1/messages', (b: Record<string, unknown>) => {
        recorded.bodies.push(b);
        return true;
      })
      .reply(status, body, { 'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy', ...headers });
  return { ...recorded, scope };
}

type Content = string | { type: string; text?: string }[];

/** The text of the last user message of a recorded request (all its text blocks). */
export function lastUserText(body: Record<string, unknown>): string {
  const messages = body.messages as { role: string; content: Content }[];
  const content = messages.filter((m) => m.role === 'user').at(-1)!.content;
  return typeof content === 'string' ? content : content.map((b) => b.text ?? '').join('\n');
}
