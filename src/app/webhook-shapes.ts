import { z } from 'zod';
import type { WebhookName } from './github/webhooks.js';

/**
 * What each webhook rule reads of its payload, checked before the rule runs: a payload without
 * it (a partial or malformed delivery, a replayed or hand-made one) is ignored with a log line,
 * never a throw, and never turns into a request GitHub would refuse (an empty default branch).
 */
const name = z.string().min(1);
const repository = z.looseObject({
  name,
  owner: z.looseObject({ login: name }),
  default_branch: name,
});
const sender = z.looseObject({ login: name, type: z.string() });
const issue = z.looseObject({
  number: z.number().int().positive(),
  labels: z.array(z.looseObject({ name: z.string() })).optional(),
});
const label = z.looseObject({ name: z.string() }).optional();
const comment = z.looseObject({
  id: z.number().int().positive(),
  body: z.string(),
  user: z.looseObject({ type: z.string() }).nullable().optional(),
});
const app = z.looseObject({ id: z.number().nullable() }).nullable().optional();
const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character commit sha');

const issueEvent = z.looseObject({ repository, issue, sender, label });

export const PAYLOAD_SHAPES: Partial<Record<WebhookName, z.ZodType>> = {
  'issues.labeled': issueEvent,
  'issues.unlabeled': issueEvent,
  'issues.closed': issueEvent,
  'issues.edited': issueEvent.extend({
    changes: z.looseObject({ body: z.looseObject({ from: z.string() }).optional() }),
  }),
  'issue_comment.created': issueEvent.extend({ comment }),
  'issue_comment.edited': issueEvent.extend({
    comment,
    changes: z.looseObject({ body: z.looseObject({ from: z.string() }).optional() }),
  }),
  workflow_run: z.looseObject({
    repository,
    workflow_run: z.looseObject({
      id: z.number().int().positive(),
      status: z.string().nullable().optional(),
      conclusion: z.string().nullable().optional(),
      head_branch: z.string().nullable().optional(),
      head_sha: sha,
      run_attempt: z.number().int().positive().optional(),
      path: z.string().optional(),
      display_title: z.string().optional(),
    }),
  }),
  'check_suite.completed': z.looseObject({
    repository,
    check_suite: z.looseObject({ head_branch: z.string().nullable(), head_sha: sha, app }),
  }),
  'check_run.completed': z.looseObject({
    repository,
    check_run: z.looseObject({
      head_sha: sha,
      app,
      // GitHub's schema requires nothing of it (the stand-in sends only its id).
      check_suite: z
        .looseObject({ head_branch: z.string().nullable().optional() })
        .nullable()
        .optional(),
    }),
  }),
  status: z.looseObject({
    repository,
    state: z.string(),
    sha,
    branches: z.array(z.looseObject({ name: z.string() })),
  }),
};

/** Why the payload cannot be used (the first problem, with where it is), or undefined. */
export function payloadProblem(event: WebhookName, payload: unknown): string | undefined {
  const shape = PAYLOAD_SHAPES[event];
  if (!shape) return undefined;
  const checked = shape.safeParse(payload);
  if (checked.success) return undefined;
  const first = checked.error.issues[0]!;
  return `${first.path.join('.') || 'the payload'}: ${first.message}`;
}
