import type { ModelPrice } from '../../llm/model-price.js';

/**
 * The price of a model the API named: its own entry, or the entry its dated id starts with
 * (`claude-sonnet-5-5-20261101` is `claude-sonnet-5-5`). A model the table does not know is
 * priced at the highest known price of each kind, so an unknown model never makes spend look
 * smaller than it is; `known` says which happened.
 */
export function priceOfModel(
  model: string,
  pricing: Readonly<Record<string, ModelPrice>>,
): { price: ModelPrice; known: boolean } {
  const exact = pricing[model];
  if (exact) return { price: exact, known: true };
  const prefix = Object.keys(pricing)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix) return { price: pricing[prefix]!, known: true };
  const prices = Object.values(pricing);
  const highest = (kind: keyof ModelPrice) => Math.max(0, ...prices.map((p) => p[kind]));
  return {
    price: {
      input: highest('input'),
      output: highest('output'),
      cacheRead: highest('cacheRead'),
      cacheWrite: highest('cacheWrite'),
    },
    known: false,
  };
}
