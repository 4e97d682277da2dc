import type { ProbotOctokit } from 'probot';
import { call } from './github-error.js';

/**
 * The repository's GraphQL node id (what mutations such as `updateRefs` name it by), for one
 * port's lifetime: learned for free from a query that reads the repository anyway (the CI
 * verdict's), otherwise asked once. Never kept longer or by name: a repository renamed away and
 * another made under its name would be a different node.
 */
export class RepositoryId {
  private known: string | undefined;

  constructor(
    private readonly octokit: ProbotOctokit,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  /** A query that read the repository said its id. */
  learn(id: string | null | undefined): void {
    if (id) this.known = id;
  }

  async get(): Promise<string> {
    if (this.known) return this.known;
    const answer = await call(
      this.octokit.graphql<{ repository: { id: string } | null }>(
        'query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id } }',
        { owner: this.owner, name: this.repo },
      ),
    );
    this.learn(answer.repository?.id);
    if (!this.known) throw new Error(`GitHub does not know ${this.owner}/${this.repo}`);
    return this.known;
  }
}
