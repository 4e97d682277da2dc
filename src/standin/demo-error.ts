/**
 * A demo that cannot run as asked; the message says what to change. `usage`: whether the usage
 * text helps (a wrong option), or would bury the message (a bad file, the App's refusal).
 */
export class DemoError extends Error {
  override name = 'DemoError';
  constructor(
    message: string,
    readonly usage = true,
  ) {
    super(message);
  }
}
