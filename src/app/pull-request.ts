import { renderPrBody } from '../core/checklist/pr-body.js';
import type { GoalContext } from './goal-context.js';
import { gitHubStatus } from './github/github-error.js';

/**
 * The goal's draft pull request, opened after the first landing so CI that runs on pull requests
 * runs too. One already open for the goal branch (this ran before and its state write was lost)
 * is taken rather than opened twice. Where draft pull requests are not available (some private
 * repositories) it opens a normal one and says so in its body.
 */
export async function ensurePullRequest(g: GoalContext): Promise<void> {
  const s = g.session.state!;
  if (!s.pr.requested || s.pr.number !== undefined) return;
  let number = (await g.github.findOpenPull(s.branch))?.number;
  if (number === undefined) {
    const body = renderPrBody(s, { serverUrl: g.deps.serverUrl });
    const create = (draft: boolean) =>
      g.github.createPull({
        head: s.branch,
        base: g.ref.defaultBranch,
        title: `Gantry: ${s.title}`,
        body: draft
          ? body
          : `${body}\n\n_Draft pull requests are not available in this repository: this one is open for review as it runs._`,
        draft,
      });
    try {
      number = (await create(true)).number;
    } catch (e) {
      if (gitHubStatus(e) !== 422 || !/draft/i.test((e as Error).message)) throw e;
      number = (await create(false)).number;
    }
  }
  g.session.apply({ type: 'pr.opened', at: g.deps.now(), number });
}

/** Rewrite the pull request's account (the goal ended partial, or is done). */
export async function updatePullRequestBody(g: GoalContext): Promise<void> {
  const s = g.session.state!;
  if (s.pr.number === undefined) return;
  await g.github.updatePullBody(s.pr.number, renderPrBody(s, { serverUrl: g.deps.serverUrl }));
}

/**
 * Every task is in: the full account goes into the body, the draft becomes ready for review
 * (GitHub has no REST call for that, only GraphQL), and the person who started the goal (or who
 * approved its tasks) is asked to review.
 */
export async function markReady(g: GoalContext): Promise<void> {
  const s = g.session.state!;
  if (s.pr.number === undefined) return;
  const pr = await g.github.updatePullBody(
    s.pr.number,
    renderPrBody(s, { serverUrl: g.deps.serverUrl }),
  );
  if (pr.draft) await g.github.markPullReady(pr);
  const reviewers = [
    ...new Set([s.startedBy, ...s.tasks.map((t) => t.approvedBy)].filter((x) => x !== undefined)),
  ];
  if (reviewers.length === 0) return;
  await g.github.requestReviewers(s.pr.number, reviewers).catch((e: unknown) => {
    // 422: a reviewer cannot be asked (no longer a collaborator, say); the PR is ready anyway.
    if (gitHubStatus(e) !== 422) throw e;
  });
}
