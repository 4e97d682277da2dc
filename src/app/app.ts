import type { Probot } from 'probot';
import type { Planner } from '../planner/planner.js';
import { triggerLabel, type GantryConfig } from './config.js';
import { GoalQueue } from './goal-queue.js';
import { planGoal } from './plan-goal.js';

export interface GantryAppOptions {
  /** The planner for a repository's config (Anthropic in production, scripted offline). */
  planner: (config: GantryConfig) => Planner;
  /** HMAC key of the hidden state in plan comments. */
  stateKey: string;
  serverUrl?: string;
  now?: () => number;
  /** Called when a goal job fails (default: the app log). */
  onJobError?: (goal: string, error: unknown) => void;
}

export interface GantryApp {
  (app: Probot): void;
  /** Resolves when every queued goal job has finished. */
  idle(): Promise<void>;
}

/**
 * The Probot app. Handlers only read the event and enqueue work for the goal; the work runs after
 * the webhook is answered, one job at a time per goal.
 */
export function gantryApp(options: GantryAppOptions): GantryApp {
  let queue: GoalQueue | undefined;
  const fn = ((app: Probot) => {
    queue = new GoalQueue(
      options.onJobError ?? ((key, e) => app.log.error({ err: e, goal: key }, 'goal job failed')),
    );
    app.on('issues.labeled', async (context) => {
      const raw = await context.config('gantry.yml');
      const label = triggerLabel(raw);
      if (context.payload.label?.name !== label || context.payload.sender.type === 'Bot') return;
      const { repository, issue } = context.payload;
      queue!.enqueue(`${repository.full_name}#${issue.number}`, () =>
        planGoal({
          octokit: context.octokit,
          owner: repository.owner.login,
          repo: repository.name,
          defaultBranch: repository.default_branch,
          issue: {
            number: issue.number,
            title: issue.title,
            body: issue.body ?? '',
            labels: (issue.labels ?? []).map((l) => l.name),
          },
          rawConfig: raw ?? undefined,
          planner: options.planner,
          stateKey: options.stateKey,
          serverUrl: options.serverUrl,
          now: options.now ?? Date.now,
        }),
      );
    });
  }) as GantryApp;
  fn.idle = () => queue?.idle() ?? Promise.resolve();
  return fn;
}
