import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import type { Probot } from 'probot';
import type { GitHubConnector } from './github-connector.js';
import type { GitHubPort } from './github-port.js';

/** The webhooks GitHub sends, by name, and the payload of each. */
export type WebhookName = EmitterWebhookEventName;
export type WebhookPayload<E extends WebhookName> = EmitterWebhookEvent<E>['payload'];

/** One delivery: its id, and the port for a repository it names, over the delivery's client. */
export interface Delivery {
  id: string;
  github(repository: { owner: string; repo: string }): GitHubPort;
}

/**
 * Listen on Probot for each webhook `names` lists; `receive` gets the delivery and its payload.
 * The client Probot made for the delivery's installation stays here, behind the port.
 */
export function onWebhooks(
  app: Probot,
  names: readonly WebhookName[],
  connector: GitHubConnector,
  receive: (name: WebhookName, delivery: Delivery, payload: unknown) => void | Promise<void>,
): void {
  for (const name of names)
    app.on(name, (context) =>
      receive(
        name,
        {
          id: context.id,
          github: (repository) => connector.repository(context.octokit, repository),
        },
        context.payload,
      ),
    );
}
