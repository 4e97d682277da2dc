import { z } from 'zod';

export const CONFIG_PATH = '.github/gantry.yml';

/** GitHub lists at most this many commits in a push payload; beyond it the list says nothing. */
const MAX_LISTED_COMMITS = 2048;

const files = z.array(z.string()).optional();
const PushShape = z.looseObject({
  ref: z.string(),
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
  repository: z.looseObject({
    name: z.string().min(1),
    owner: z.looseObject({ login: z.string().min(1) }),
    default_branch: z.string().min(1),
  }),
  commits: z.array(z.looseObject({ added: files, removed: files, modified: files })).optional(),
});

/**
 * Whose config a `push` webhook may have changed: the repository (`owner/name`) when the push is
 * to its default branch and touches `.github/gantry.yml`, or when the payload cannot tell (a
 * forced push, one without its commits, more commits than GitHub lists); the whole owner when it
 * is the owner's `.github` repository, whose file every repository's config may extend. Undefined
 * when the config is surely unchanged, or the payload is not a push GitHub would send.
 */
export function configPushed(payload: unknown): { repo: string } | { owner: string } | undefined {
  const p = PushShape.safeParse(payload);
  if (!p.success) return undefined;
  const { ref, repository, commits, forced, deleted } = p.data;
  if (ref !== `refs/heads/${repository.default_branch}`) return undefined;
  const touched =
    forced === true ||
    deleted === true ||
    !commits?.length ||
    commits.length >= MAX_LISTED_COMMITS ||
    commits.some((c) => [c.added, c.removed, c.modified].some((l) => l?.includes(CONFIG_PATH)));
  if (!touched) return undefined;
  const owner = repository.owner.login;
  return repository.name === '.github' ? { owner } : { repo: `${owner}/${repository.name}` };
}
