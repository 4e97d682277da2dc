/** Who a token is, and what it may do. */
export interface Token {
  login: string;
  app?: { id: number; slug: string } | undefined;
  /** A JWT the App signed: good for the App's own endpoints only. */
  jwt?: boolean;
  /** Installation tokens expire an hour after they are made, as on GitHub. */
  expiresAt?: number;
  /** A workflow job's `GITHUB_TOKEN`: what its `permissions: contents` allows for git. */
  job?: boolean;
  contents?: 'none' | 'read' | 'write';
  /** The one repository a job token is for. */
  repo?: string;
  /** An installation token's permissions: every request it makes is checked against them. */
  permissions?: Record<string, 'read' | 'write'>;
  /** The installation an installation token is for (its secondary rate limits). */
  installation?: number;
}
