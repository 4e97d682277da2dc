/**
 * What the stand-in knows besides git: users and their roles, issues with comments, labels and
 * events. Shapes follow GitHub's REST answers closely enough for the App and the OpenAPI checks.
 */

export type Role = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface StoredComment {
  id: number;
  body: string;
  user: string;
  /** The app that wrote it, if an app did. */
  app?: { id: number; slug: string } | undefined;
  createdAt: number;
  updatedAt: number;
  /** Who edited it and when (GraphQL's `userContentEdits`); apps' logins end in `[bot]`. */
  edits?: { editor: string; at: number }[];
}

export interface StoredIssue {
  number: number;
  title: string;
  body: string;
  user: string;
  state: 'open' | 'closed';
  labels: string[];
  comments: StoredComment[];
  events: StoredIssueEvent[];
  closedBy?: string | undefined;
  /** When the body was last edited (GraphQL `lastEditedAt`). */
  lastEditedAt?: number | undefined;
  createdAt: number;
  updatedAt: number;
}

/** An issue event: a label added or removed, or the title changed (`renamed`). */
export type StoredIssueEvent = { actor: string; at: number } & (
  { event: 'labeled' | 'unlabeled'; label: string } | { event: 'renamed'; from: string; to: string }
);

export interface StoredPull {
  number: number;
  nodeId: string;
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
  state: 'open' | 'closed';
  user: string;
  reviewers: string[];
  createdAt: number;
  updatedAt: number;
}

export interface StoredRepo {
  owner: string;
  name: string;
  defaultBranch: string;
  roles: Map<string, Role>;
  issues: Map<number, StoredIssue>;
  /** Pull requests, numbered with the issues as on GitHub. */
  pulls: Map<number, StoredPull>;
  nextNumber: number;
}

export class Store {
  readonly repos = new Map<string, StoredRepo>();
  private ids = 1000;

  constructor(
    public serverUrl: string,
    readonly now: () => number = Date.now,
  ) {}

  nextId(): number {
    return ++this.ids;
  }

  addRepo(fullName: string, defaultBranch: string, roles: Record<string, Role>): StoredRepo {
    const [owner, name] = fullName.split('/') as [string, string];
    const repo: StoredRepo = {
      owner,
      name,
      defaultBranch,
      roles: new Map(Object.entries(roles)),
      issues: new Map(),
      pulls: new Map(),
      nextNumber: 1,
    };
    this.repos.set(fullName, repo);
    return repo;
  }

  repo(owner: string, name: string): StoredRepo | undefined {
    return this.repos.get(`${owner}/${name}`);
  }

  addIssue(repo: StoredRepo, user: string, title: string, body: string): StoredIssue {
    const at = this.now();
    const issue: StoredIssue = {
      number: repo.nextNumber++,
      title,
      body,
      user,
      state: 'open',
      labels: [],
      comments: [],
      events: [],
      createdAt: at,
      updatedAt: at,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  comment(
    repo: StoredRepo,
    id: number,
  ): { issue: StoredIssue; comment: StoredComment } | undefined {
    for (const issue of repo.issues.values()) {
      const comment = issue.comments.find((c) => c.id === id);
      if (comment) return { issue, comment };
    }
    return undefined;
  }

  // GitHub's JSON shapes.

  userJson(login: string) {
    const bot = login.endsWith('[bot]');
    const id = [...login].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 10_000_000, 11);
    const api = `${this.serverUrl}/api/v3/users/${login}`;
    return {
      login,
      id,
      node_id: `U_${id}`,
      avatar_url: `${this.serverUrl}/avatars/${login}`,
      gravatar_id: '',
      url: api,
      html_url: `${this.serverUrl}/${login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: bot ? 'Bot' : 'User',
      site_admin: false,
    };
  }

  labelJson(repo: StoredRepo, name: string) {
    const id = [...name].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 10_000_000, 5);
    return {
      id,
      node_id: `L_${id}`,
      url: `${this.apiRepo(repo)}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    };
  }

  issueJson(repo: StoredRepo, i: StoredIssue) {
    const url = `${this.apiRepo(repo)}/issues/${i.number}`;
    return {
      id: i.number * 1000 + 7,
      node_id: `I_${i.number}`,
      url,
      repository_url: this.apiRepo(repo),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `${this.htmlRepo(repo)}/issues/${i.number}`,
      number: i.number,
      state: i.state,
      title: i.title,
      body: i.body,
      user: this.userJson(i.user),
      labels: i.labels.map((l) => this.labelJson(repo, l)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: i.comments.length,
      closed_at: i.state === 'closed' ? iso(i.updatedAt) : null,
      created_at: iso(i.createdAt),
      updated_at: iso(i.updatedAt),
      closed_by: i.closedBy ? this.userJson(i.closedBy) : null,
      author_association: 'OWNER',
      reactions: reactionsJson(url),
    };
  }

  commentJson(repo: StoredRepo, issue: StoredIssue, c: StoredComment) {
    const url = `${this.apiRepo(repo)}/issues/comments/${c.id}`;
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url,
      html_url: `${this.htmlRepo(repo)}/issues/${issue.number}#issuecomment-${c.id}`,
      issue_url: `${this.apiRepo(repo)}/issues/${issue.number}`,
      body: c.body,
      user: this.userJson(c.user),
      created_at: iso(c.createdAt),
      updated_at: iso(c.updatedAt),
      author_association: c.app ? 'NONE' : 'OWNER',
      performed_via_github_app: c.app ? this.appJson(c.app.id, c.app.slug) : null,
      reactions: reactionsJson(url),
    };
  }

  appJson(id: number, slug: string) {
    return {
      id,
      slug,
      node_id: `A_${id}`,
      owner: this.userJson('octo-org'),
      name: slug,
      description: '',
      external_url: `${this.serverUrl}/apps/${slug}`,
      html_url: `${this.serverUrl}/apps/${slug}`,
      created_at: iso(0),
      updated_at: iso(0),
      permissions: {},
      events: [],
    };
  }

  repoJson(repo: StoredRepo) {
    return {
      id: [...repo.name].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 10_000_000, 13),
      node_id: `R_${repo.name}`,
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      owner: this.userJson(repo.owner),
      private: false,
      html_url: this.htmlRepo(repo),
      url: this.apiRepo(repo),
      default_branch: repo.defaultBranch,
      archived: false,
      disabled: false,
      fork: false,
    };
  }

  apiRepo(repo: StoredRepo): string {
    return `${this.serverUrl}/api/v3/repos/${repo.owner}/${repo.name}`;
  }

  htmlRepo(repo: StoredRepo): string {
    return `${this.serverUrl}/${repo.owner}/${repo.name}`;
  }
}

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** An issue's or comment's reactions, all zero. */
export function reactionsJson(url: string) {
  return {
    url: `${url}/reactions`,
    total_count: 0,
    '+1': 0,
    '-1': 0,
    laugh: 0,
    hooray: 0,
    confused: 0,
    heart: 0,
    rocket: 0,
    eyes: 0,
  };
}
