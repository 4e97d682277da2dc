/** GitHub's objects as REST answers and webhooks carry them, built on GitHub's own examples. */
import { reactionsJson } from '../../src/standin/store.js';
import { examplePayload } from './probot.js';

/** A GitHub user object, as REST answers and webhooks carry it. */
export function ghUser(login: string) {
  const bot = login.endsWith('[bot]');
  const id = [...login].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 1_000_000, 7);
  return {
    ...examplePayload<{ sender: Record<string, unknown> }>('issues', 'labeled').sender,
    login,
    id,
    node_id: `U_${id}`,
    type: bot ? ('Bot' as const) : ('User' as const),
  };
}

/** A GitHub App object (`performed_via_github_app`, a check suite's `app`). */
export function ghApp(id: number, slug: string) {
  const example = examplePayload<{ check_suite: { app: Record<string, unknown> } }>(
    'check_suite',
    'completed',
  ).check_suite.app;
  return { ...example, id, slug, name: slug, node_id: `A_${id}` };
}

export function ghLabel(name: string) {
  const id = [...name].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 1_000_000, 3);
  return {
    id,
    node_id: `L_${id}`,
    url: `https://api.github.com/repos/Codertocat/Hello-World/labels/${encodeURIComponent(name)}`,
    name,
    color: 'ededed',
    default: false,
    description: null,
  };
}

export function reactions(id: number) {
  return reactionsJson(`https://api.github.com/repos/Codertocat/Hello-World/issues/comments/${id}`);
}
