import type { ModelPrice } from '../../llm/model-price.js';
import type { TokenUsage } from '../../llm/token-usage.js';
import { usageCost } from '../../llm/usage-cost.js';
import { priceOfModel } from './price-of-model.js';

/** What the gateway has counted so far for the task. */
export interface GatewaySpend extends TokenUsage {
  costUsd: number;
  /** Model calls forwarded to the API. */
  calls: number;
  /** Requests the gateway refused: a wrong token, a path it does not forward, a spent budget. */
  refused: number;
}

/**
 * The task's running total against its reservation. Costs are summed in whole micro-dollars,
 * as the price table yields them, so the total is exact however many calls there are.
 */
export class SpendMeter {
  private micros = 0;
  private readonly tokens: TokenUsage = {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
  private calls = 0;
  private refused = 0;

  constructor(
    readonly reservationUsd: number,
    private readonly pricing: Readonly<Record<string, ModelPrice>>,
    private readonly log: (line: string) => void,
  ) {}

  /** Once the total reaches the reservation, no further model call is forwarded. */
  exhausted(): boolean {
    return this.micros >= Math.round(this.reservationUsd * 1e6);
  }

  forwarded(): void {
    this.calls++;
  }

  refuse(): void {
    this.refused++;
  }

  /** Count one answer's usage at its model's price; returns its cost in USD. */
  add(model: string, usage: TokenUsage): number {
    const { price, known } = priceOfModel(model, this.pricing);
    if (!known)
      this.log(
        `gateway: no price for model ${model}; counted at the highest known price of each kind`,
      );
    const micros = Math.round(usageCost(usage, price) * 1e6);
    this.micros += micros;
    for (const k of Object.keys(this.tokens) as (keyof TokenUsage)[]) this.tokens[k] += usage[k];
    return micros / 1e6;
  }

  spent(): GatewaySpend {
    return {
      costUsd: this.micros / 1e6,
      ...this.tokens,
      calls: this.calls,
      refused: this.refused,
    };
  }
}
