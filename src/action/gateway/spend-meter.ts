import type { ModelPrice } from '../../llm/model-price.js';
import type { TokenUsage } from '../../llm/token-usage.js';
import { callCostMicros } from './call-cost.js';
import { zeroCallUsage, type CallUsage } from './call-usage.js';
import { priceOfModel } from './price-of-model.js';
import type { WorstCase } from './worst-case-of.js';

/** What the gateway has counted so far for the task. */
export interface GatewaySpend extends TokenUsage {
  costUsd: number;
  /** Of `cacheWriteTokens`, those written to the 1-hour cache (priced at 2x input). */
  cacheWrite1hTokens: number;
  /** Web searches the API ran for the task's calls (priced per search). */
  webSearchRequests: number;
  /** Model calls forwarded to the API. */
  calls: number;
  /** Requests the gateway refused, for any reason: the sum of the two below. */
  refused: number;
  /** Model calls refused because the reservation was spent or could not cover their worst case. */
  refusedOverBudget: number;
  /** Requests refused otherwise: a wrong token, a path it does not forward, too large, too many at once, after close. */
  refusedOther: number;
}

/** Why the gateway refused a request. */
export type Refusal = 'overBudget' | 'other';

/**
 * The task's running total against its reservation, and the worst cases held for the calls in
 * flight. Costs are summed in whole micro-dollars, as the prices yield them, so the total is
 * exact however many calls there are.
 */
export class SpendMeter {
  private micros = 0;
  private heldMicros = 0;
  private readonly reservationMicros: number;
  private readonly usage: CallUsage = zeroCallUsage();
  private calls = 0;
  private readonly refusals: Record<Refusal, number> = { overBudget: 0, other: 0 };

  constructor(
    readonly reservationUsd: number,
    private readonly pricing: Readonly<Record<string, ModelPrice>>,
    private readonly log: (line: string) => void,
  ) {
    this.reservationMicros = Math.round(reservationUsd * 1e6);
  }

  /** Once the total reaches the reservation, no further model call is forwarded. */
  exhausted(): boolean {
    return this.micros >= this.reservationMicros;
  }

  /**
   * Hold a call's worst case against the reservation while it runs, if it fits beside what is
   * spent and what the other calls in flight hold; false when it does not.
   */
  hold(micros: number): boolean {
    if (this.micros + this.heldMicros + micros > this.reservationMicros) return false;
    this.heldMicros += micros;
    return true;
  }

  release(micros: number): void {
    this.heldMicros -= micros;
  }

  /** What the calls in flight hold, in USD. */
  held(): number {
    return this.heldMicros / 1e6;
  }

  forwarded(): void {
    this.calls++;
  }

  refuse(why: Refusal): void {
    this.refusals[why]++;
  }

  /**
   * Count one answer's usage at its model's price; returns its cost in USD. With `worstCase`
   * (a call stopped before its end, whose bill the gateway never saw), the cost is at least
   * that worst case, and at least what was read with its output at `max_tokens`.
   */
  add(model: string, usage: CallUsage, worstCase?: WorstCase): number {
    const { price, known } = priceOfModel(model, this.pricing);
    if (!known)
      this.log(
        `gateway: no price for model ${model}; counted at the highest known price of each kind`,
      );
    let micros = callCostMicros(usage, price);
    if (worstCase)
      micros = Math.max(
        micros,
        worstCase.micros,
        callCostMicros(
          { ...usage, outputTokens: Math.max(usage.outputTokens, worstCase.maxTokens) },
          price,
        ),
      );
    this.micros += micros;
    for (const k of Object.keys(this.usage) as (keyof CallUsage)[]) this.usage[k] += usage[k];
    return micros / 1e6;
  }

  spent(): GatewaySpend {
    return {
      costUsd: this.micros / 1e6,
      ...this.usage,
      calls: this.calls,
      refused: this.refusals.overBudget + this.refusals.other,
      refusedOverBudget: this.refusals.overBudget,
      refusedOther: this.refusals.other,
    };
  }
}
