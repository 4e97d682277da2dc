import { z } from 'zod';
import { defaultPricing, ModelPriceSchema } from './model-price.js';

const TokenProfileSchema = z.strictObject({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});

const model = z.string().trim().min(1);

/**
 * The LLM section of `.github/gantry.yml` (`llm:`). Every default lives here, in the config
 * schema, not at call sites. Prices come from Anthropic's pricing page (2026-11); override them
 * in the config when they change.
 */
export const LlmConfigSchema = z
  .strictObject({
    models: z
      .strictObject({
        planning: model.default('claude-opus-5-5'),
        recovery: model.default('claude-opus-5-5'),
        knowledge: model.default('claude-haiku-5-5'),
        review: model.default('claude-sonnet-5-5'),
        tiers: z
          .strictObject({
            small: model.default('claude-sonnet-5-5'),
            medium: model.default('claude-sonnet-5-5'),
            large: model.default('claude-opus-5-5'),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Entries here are merged over the defaults: override one price without losing the others. */
    pricing: z
      .record(z.string(), ModelPriceSchema)
      .default({})
      .transform((p) => ({ ...defaultPricing, ...p })),
    /** Output token budgets per call: plans by rigor, and the other operations. */
    maxOutputTokens: z
      .strictObject({
        L1: z.number().int().positive().default(4000),
        L2: z.number().int().positive().default(6000),
        L3: z.number().int().positive().default(8000),
        recovery: z.number().int().positive().default(4000),
        knowledge: z.number().int().positive().default(2000),
        review: z.number().int().positive().default(2000),
      })
      .prefault({}),
    /** Repairs of an invalid answer before planning gives up. */
    maxRepairs: z.number().int().min(0).max(5).default(2),
    /** Per request; the SDK retries 429 and 5xx `maxRetries` times before Gantry reports a transient error. */
    timeoutMs: z.number().int().positive().max(600_000).default(120_000),
    maxRetries: z.number().int().min(0).max(10).default(2),
    /** Expected agent usage per task tier, for estimates before approval. */
    tierUsage: z
      .strictObject({
        small: TokenProfileSchema.default({ inputTokens: 150_000, outputTokens: 15_000 }),
        medium: TokenProfileSchema.default({ inputTokens: 400_000, outputTokens: 40_000 }),
        large: TokenProfileSchema.default({ inputTokens: 1_000_000, outputTokens: 100_000 }),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    // A model without a price would fail only after a paid call: refuse the config up front.
    const used = {
      ...Object.fromEntries(Object.entries(c.models.tiers).map(([t, m]) => [`tiers.${t}`, m])),
      planning: c.models.planning,
      recovery: c.models.recovery,
      knowledge: c.models.knowledge,
      review: c.models.review,
    };
    for (const [where, m] of Object.entries(used))
      if (!c.pricing[m])
        ctx.addIssue({
          code: 'custom',
          path: ['pricing'],
          message: `models.${where} is ${m}, which has no price: add pricing.${m} (USD per million input, output, cacheRead and cacheWrite tokens)`,
        });
  });
export type LlmConfig = z.infer<typeof LlmConfigSchema>;

export const defaultLlmConfig: LlmConfig = LlmConfigSchema.parse({});
