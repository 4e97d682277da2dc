import { createRequire } from 'node:module';
import type { Store, StoredComment, StoredIssue, StoredRepo } from './store.js';

/**
 * Webhook payloads built from the stand-in's state. GitHub's repository object in webhooks has
 * some eighty fields; the stand-in starts from GitHub's own example (`@octokit/webhooks-examples`)
 * and sets what identifies this repository, so every payload passes GitHub's schemas.
 */

interface Example {
  name: string;
  examples: Record<string, unknown>[];
}

const require = createRequire(import.meta.url);
let examples: Example[] | undefined;

export function example(event: string, action: string): Record<string, unknown> {
  examples ??= require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
  const found = examples.find((e) => e.name === event)?.examples.find((p) => p.action === action);
  if (!found) throw new Error(`GitHub's examples have no ${event}.${action}`);
  return structuredClone(found);
}

export interface WebhookEvent {
  name: string;
  payload: Record<string, unknown>;
}

export class WebhookPayloads {
  constructor(
    private readonly store: Store,
    /** The App's installation on every stand-in repository. */
    private readonly installationId = 1,
  ) {}

  repository(repo: StoredRepo): Record<string, unknown> {
    const base = example('issues', 'labeled').repository as Record<string, unknown>;
    const api = this.store.apiRepo(repo);
    const rewritten = Object.fromEntries(
      Object.entries(base).map(([k, v]) => [
        k,
        typeof v === 'string' && k.endsWith('url')
          ? v.replace(/^https:\/\/api\.github\.com\/repos\/[^/]+\/[^/{]+/, api)
          : v,
      ]),
    );
    return {
      ...rewritten,
      ...this.store.repoJson(repo),
      owner: { ...(base.owner as object), ...this.store.userJson(repo.owner) },
    };
  }

  envelope(action: string, repo: StoredRepo, sender: string) {
    return {
      action,
      repository: this.repository(repo),
      sender: this.store.userJson(sender),
      installation: { id: this.installationId, node_id: `MDIz${this.installationId}` },
    };
  }

  /** `issues.<action>`: labeled and unlabeled name their label; edited carries what changed. */
  issues(
    action: 'opened' | 'labeled' | 'unlabeled' | 'closed' | 'reopened' | 'edited',
    repo: StoredRepo,
    issue: StoredIssue,
    sender: string,
    extra: { label?: string; changes?: Record<string, { from: string }> } = {},
  ): WebhookEvent {
    const payload: Record<string, unknown> = {
      ...this.envelope(action, repo, sender),
      issue: this.store.issueJson(repo, issue),
    };
    if (extra.label !== undefined) payload.label = this.store.labelJson(repo, extra.label);
    if (action === 'edited') payload.changes = extra.changes ?? {};
    return { name: 'issues', payload };
  }

  /** `issue_comment.<action>`; edited carries the body before the edit. */
  comment(
    action: 'created' | 'edited' | 'deleted',
    repo: StoredRepo,
    issue: StoredIssue,
    comment: StoredComment,
    sender: string,
    from?: string,
  ): WebhookEvent {
    const payload: Record<string, unknown> = {
      ...this.envelope(action, repo, sender),
      issue: this.store.issueJson(repo, issue),
      comment: this.store.commentJson(repo, issue, comment),
    };
    if (action === 'edited') payload.changes = from === undefined ? {} : { body: { from } };
    return { name: 'issue_comment', payload };
  }
}
