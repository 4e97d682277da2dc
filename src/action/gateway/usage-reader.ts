import { zeroCallUsage, type CallUsage } from './call-usage.js';

/** What a response said about its own cost: the model that answered and what it billed. */
export interface ReadUsage {
  model?: string;
  usage?: CallUsage;
}

/** A JSON answer is kept only up to this size to read its usage; the API's are far smaller. */
const JSON_CAP = 32 * 1024 * 1024;

type RawUsage = Record<string, unknown>;

/** Where each count is in the API's `usage`: a field, or a field of one of its objects. */
const FIELDS: readonly (readonly [path: readonly string[], to: keyof CallUsage])[] = [
  [['input_tokens'], 'inputTokens'],
  [['output_tokens'], 'outputTokens'],
  [['cache_read_input_tokens'], 'cacheReadTokens'],
  [['cache_creation_input_tokens'], 'cacheWriteTokens'],
  [['cache_creation', 'ephemeral_1h_input_tokens'], 'cacheWrite1hTokens'],
  [['server_tool_use', 'web_search_requests'], 'webSearchRequests'],
];

/**
 * Reads the usage of one Messages API answer from its bytes as they pass through, without
 * holding them back: a JSON body's `usage`, or in a stream (server-sent events) the usage of
 * `message_start` (input and cache tokens) updated by each `message_delta` (whose counts are
 * cumulative, so the last one wins).
 */
export class UsageReader {
  private readonly stream: boolean;
  private readonly decoder = new TextDecoder();
  private text = '';
  private tooLarge = false;
  private readonly read: ReadUsage = {};

  constructor(contentType: string | null) {
    this.stream = /^text\/event-stream\b/i.test(contentType ?? '');
  }

  push(chunk: Uint8Array): void {
    if (this.tooLarge) return;
    this.text += this.decoder.decode(chunk, { stream: true });
    if (this.stream) this.takeEvents();
    else if (this.text.length > JSON_CAP) {
      this.tooLarge = true;
      this.text = '';
    }
  }

  finish(): ReadUsage {
    this.text += this.decoder.decode();
    if (this.stream) {
      this.text += '\n\n';
      this.takeEvents();
    } else if (!this.tooLarge) {
      const body = parse(this.text);
      if (body) this.take(body.model, body.usage as RawUsage | undefined, true);
    }
    return this.read;
  }

  /** Handle every complete event in the text so far; keep the incomplete rest. */
  private takeEvents(): void {
    // A CR at the end may be the first half of a CRLF still to come.
    const end = this.text.endsWith('\r') ? this.text.length - 1 : this.text.length;
    const events = this.text.slice(0, end).replace(/\r\n?/g, '\n').split('\n\n');
    this.text = events.pop()! + this.text.slice(end);
    for (const event of events) {
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      const body = parse(data);
      if (body?.type === 'message_start') {
        const message = body.message as Record<string, unknown> | undefined;
        this.take(message?.model, message?.usage as RawUsage | undefined, true);
      } else if (body?.type === 'message_delta')
        this.take(undefined, body.usage as RawUsage | undefined, false);
    }
  }

  /** `whole`: absent counts are 0; otherwise only the counts present replace the ones known. */
  private take(model: unknown, raw: RawUsage | undefined, whole: boolean): void {
    if (typeof model === 'string') this.read.model = model;
    if (!raw || typeof raw !== 'object') return;
    const usage = whole || !this.read.usage ? zeroCallUsage() : { ...this.read.usage };
    for (const [path, to] of FIELDS) {
      const n = path.reduce<unknown>(
        (v, key) => (v && typeof v === 'object' ? (v as RawUsage)[key] : undefined),
        raw,
      );
      if (typeof n === 'number' && Number.isFinite(n) && n >= 0) usage[to] = n;
    }
    this.read.usage = usage;
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
