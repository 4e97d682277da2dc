/** A demo that cannot run as asked; the message says what to change. */
export class DemoError extends Error {
  override name = 'DemoError';
}
