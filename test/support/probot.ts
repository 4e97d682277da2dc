import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { Probot } from 'probot';
import { GantryOctokit } from '../../src/app/github/gantry-octokit.js';
import { pino, type Logger } from 'pino';
import type { GantryApp } from '../../src/app/app.js';

/** A real Probot with retries and throttling off and a silent log (unless given one); auth by a plain token. */
export async function testProbot(
  app: GantryApp,
  log: Logger = pino({ level: 'silent' }),
): Promise<Probot> {
  const probot = new Probot({
    githubToken: 'test-token',
    // A function, not an object: Probot passes its own throttle options down, and an object
    // default would lose to them (writes would then wait 1 s each, as they do in production).
    Octokit: GantryOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { ...(options.throttle as object), enabled: false },
    })),
    log,
  });
  await probot.load(app);
  return probot;
}

/** A payload from @octokit/webhooks-examples (GitHub's own examples), copied so tests can adjust it. */
export function examplePayload<T = Record<string, unknown>>(event: string, action: string): T {
  const group = (examples as { name: string; examples: { action?: string }[] }[]).find(
    (e) => e.name === event,
  );
  const payload = group?.examples.find((p) => p.action === action);
  if (!payload) throw new Error(`no ${event}.${action} example`);
  return structuredClone(payload) as T;
}
