import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhooks } from '@octokit/webhooks';
import { prng } from '../core/prng.js';
import type { OpenApi } from './openapi.js';

/** What can go wrong between GitHub and an app, on request (the chaos scenarios). */
export interface Chaos {
  /** Share of deliveries lost (0..1). GitHub does not redeliver. */
  drop?: number;
  /** Events whose every delivery is lost (`workflow_job`: the App falls back on requests). */
  lose?: readonly string[];
  /** Share of deliveries sent twice, with the same delivery id (a manual redelivery). */
  duplicate?: number;
  /** Shuffle each batch before sending. */
  reorder?: boolean;
  /** Wait this long before each delivery. */
  delayMs?: number;
}

export interface Delivery {
  id: string;
  event: string;
  action?: string | undefined;
  /** The app's answer, `lost` when chaos dropped it, `failed` when it did not answer in time. */
  outcome: number | 'lost' | 'failed';
  /** How long the app took to answer. */
  ms?: number;
}

/** GitHub gives up on a delivery not answered in 10 seconds. */
const TIMEOUT_MS = 10_000;

/**
 * Sends webhooks to an app as GitHub does: a POST with `X-GitHub-Event`, `X-GitHub-Delivery` and
 * `X-Hub-Signature-256` (HMAC-SHA256 of the body with the app's secret), one attempt, 10 seconds.
 * Every payload is first checked against GitHub's webhook schemas; problems are recorded, and a
 * stand-in scenario fails on any. Chaos (loss, duplicates, reordering, delay) is driven by a
 * seeded random source, so a failing scenario can be run again exactly.
 */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  /** Payloads GitHub's schemas refuse, and events they do not describe. */
  readonly invalid: string[] = [];
  private readonly signer: Webhooks;
  private pending: { id: string; event: string; payload: Record<string, unknown> }[] = [];
  private readonly random: () => number;
  /** The delivery loop, while one runs. */
  private draining: Promise<void> | undefined;

  constructor(
    private readonly o: {
      url: string;
      secret: string;
      openApi: OpenApi;
      chaos?: Chaos | undefined;
      seed?: number | undefined;
      /**
       * Deliver each webhook as soon as it is queued, as GitHub does while runs go on (the
       * stand-in's way); without it, webhooks wait for `flush` (a test that sends by hand).
       */
      live?: boolean | undefined;
    },
  ) {
    this.signer = new Webhooks({ secret: o.secret });
    this.random = prng(o.seed ?? 1);
  }

  /** Change what goes wrong from now on (a scenario loses webhooks only at some point). */
  setChaos(chaos: Chaos): void {
    this.o.chaos = chaos;
  }

  /** Webhooks queued and not sent yet. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Webhooks queued or being delivered: `flush` has something to wait for. */
  get busy(): boolean {
    return this.pending.length > 0 || this.draining !== undefined;
  }

  /** A webhook to send (now when live, else at the next `flush`); its delivery id. */
  queue(event: string, payload: Record<string, unknown>): string {
    const problems = this.o.openApi.checkWebhook(event, payload);
    const name = `${event}${typeof payload.action === 'string' ? `.${payload.action}` : ''}`;
    if (problems === undefined) this.invalid.push(`${name}: GitHub's schemas have no such webhook`);
    else if (problems.length) this.invalid.push(`${name}: ${problems.join('; ')}`);
    const id = randomUUID();
    this.pending.push({ id, event, payload });
    // On the next turn, so the events of one request go as one batch (reordered together).
    if (this.o.live) setImmediate(() => void this.flush());
    return id;
  }

  /** Deliver what is queued, and what is queued meanwhile, one at a time, as chaos says. */
  flush(): Promise<void> {
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.pending.length) await this.deliverBatch();
  }

  private async deliverBatch(): Promise<void> {
    const chaos = this.o.chaos ?? {};
    const batch = this.pending;
    this.pending = [];
    if (chaos.reorder) shuffle(batch, this.random);
    for (const d of batch) {
      const action = typeof d.payload.action === 'string' ? d.payload.action : undefined;
      // The random draw is made either way, so a seed picks the same losses with or without `lose`.
      const dropped = this.random() < (chaos.drop ?? 0);
      if (dropped || chaos.lose?.includes(d.event)) {
        this.deliveries.push({ id: d.id, event: d.event, action, outcome: 'lost' });
        continue;
      }
      const times = this.random() < (chaos.duplicate ?? 0) ? 2 : 1;
      for (let k = 0; k < times; k++) {
        if (chaos.delayMs) await sleep(chaos.delayMs);
        const t0 = performance.now();
        const outcome = await this.post(d.id, d.event, d.payload);
        const ms = performance.now() - t0;
        this.deliveries.push({ id: d.id, event: d.event, action, outcome, ms });
      }
    }
  }

  private async post(id: string, event: string, payload: object): Promise<number | 'failed'> {
    const body = JSON.stringify(payload);
    try {
      const res = await fetch(this.o.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/stand-in',
          'x-github-event': event,
          'x-github-delivery': id,
          'x-hub-signature-256': await this.signer.sign(body),
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 'failed';
    }
  }
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
