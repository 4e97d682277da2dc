import { allowedBot, type GantryConfig } from './config.js';
import { GitHubGone } from './github/github-error.js';
import type { Actor, GitHubPort, IssueEvent } from './github/github-port.js';

export interface Permission {
  /** admin, maintain or write: may approve, start and run commands. */
  allowed: boolean;
  /** What the person has, in GitHub's words (`read`, `triage`, `none`…), for the reply. */
  role: string;
}

/**
 * Ask GitHub, for every tick and command, what the person may do in the repository. Triage and
 * read are not enough: approving a plan spends money and changes code.
 */
export async function permissionOf(github: GitHubPort, username: string): Promise<Permission> {
  try {
    const { permission, roleName } = await github.permission(username);
    const role = roleName || permission;
    return { allowed: permission === 'admin' || permission === 'write', role };
  } catch (e) {
    if (e instanceof GitHubGone && e.status === 404) return { allowed: false, role: 'none' };
    throw e;
  }
}

export function refusal(login: string, role: string, what: string): string {
  return `@${login}: only people with write, maintain or admin access to this repository can ${what} (you have ${role === 'none' ? 'no' : role} access). Gantry left the goal as it was.`;
}

/**
 * Whether who added or removed the trigger label may do that: a person with write access, or a
 * bot listed in `approval.allowBots` (bots have no repository permission to ask about). Nobody
 * known (GitHub's events do not say) may not. With an invalid config no bot is allowed.
 */
export async function mayChangeTrigger(
  github: GitHubPort,
  actor: Actor | undefined,
  config: GantryConfig | undefined,
): Promise<Permission> {
  if (!actor) return { allowed: false, role: 'unknown' };
  if (actor.bot) return { allowed: !!config && allowedBot(config, actor.login), role: 'bot' };
  return permissionOf(github, actor.login);
}

/** The latest `labeled` or `unlabeled` event of a label in the issue's events (oldest first). */
export function lastLabelEvent(
  events: readonly IssueEvent[],
  event: 'labeled' | 'unlabeled',
  label: string,
): IssueEvent | undefined {
  return events.filter((e) => e.event === event && e.label === label).at(-1);
}
