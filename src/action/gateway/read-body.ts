import type { IncomingMessage } from 'node:http';

/**
 * The whole request body, or undefined when it is larger than `limit` bytes. A larger body is
 * read to its end and dropped as it arrives, never held, so the client is still listening when
 * the refusal comes (a client cut off mid-upload sees a reset, not the reason).
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = Number.isFinite(declared) && declared > limit;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    over ||= size > limit;
    if (!over) chunks.push(chunk);
  }
  return over ? undefined : Buffer.concat(chunks);
}
