/** What the stand-in answers a request with (REST, GraphQL, git over HTTP). */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
