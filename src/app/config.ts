import { z } from 'zod';
import { defaultGoalSettings, type GoalSettings } from '../core/goal.js';
import { parseAllowEntry } from '../core/egress-allowlist.js';
import { inert } from '../core/inert.js';
import { RigorSchema } from '../core/plan.js';
import { LlmConfigSchema } from '../llm/llm-config.js';
import { tierEstimates } from '../planner/estimate.js';
import { REPO_BREAKER_DEFAULTS } from './breakers.js';

const usd = z.number().nonnegative().max(100_000);

/**
 * `.github/gantry.yml`: every key, its default and its meaning. Unknown keys are refused, so a
 * typo is reported instead of silently ignored.
 */
export const GantryConfigSchema = z.strictObject({
  /** The label that turns an issue into a goal. */
  label: z.string().trim().min(1).max(50).default('gantry'),
  approval: z
    .strictObject({
      /** `required`: a maintainer ticks the tasks and Start; `auto`: planning goes straight to running when the issue also has `autoLabel`. */
      policy: z.enum(['required', 'auto']).default('required'),
      autoLabel: z.string().trim().min(1).max(50).default('gantry:auto'),
      /**
       * Bots (logins such as `renovate[bot]`) that may add and remove the trigger label as a
       * person with write access may: bots have no repository permission to ask GitHub about.
       */
      allowBots: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
    })
    .prefault({}),
  rigor: RigorSchema.default('L1'),
  llm: LlmConfigSchema.prefault({}),
  budget: z
    .strictObject({
      goalUsd: usd.default(defaultGoalSettings.budget.goalUsd),
      taskUsd: usd.default(defaultGoalSettings.budget.taskUsd),
      tierUsd: z
        .strictObject({
          small: usd.default(defaultGoalSettings.budget.tierUsd.small),
          medium: usd.default(defaultGoalSettings.budget.tierUsd.medium),
          large: usd.default(defaultGoalSettings.budget.tierUsd.large),
        })
        .prefault({}),
      /** The most `/gantry budget <usd>` may set; by default four times `goalUsd`. */
      maxGoalUsd: usd.optional(),
      /**
       * What planning one issue may cost in all (plans and replans, across cancel and relabel):
       * past it, Gantry calls no planner for the issue.
       */
      planningPerIssueUsd: usd.default(10),
      dailyUsd: usd.optional(),
      monthlyUsd: usd.optional(),
    })
    .prefault({})
    .refine((b) => b.maxGoalUsd === undefined || b.maxGoalUsd >= b.goalUsd, {
      message: 'budget.maxGoalUsd must be at least budget.goalUsd',
      path: ['maxGoalUsd'],
    }),
  maxParallel: z.number().int().min(1).max(50).default(defaultGoalSettings.maxParallel),
  /** Agent attempts per task before a human is asked. */
  maxAttempts: z.number().int().min(1).max(10).default(defaultGoalSettings.maxAttempts),
  /** Ready landings merged before one CI run judges them. */
  landingBatch: z.number().int().min(1).max(20).default(defaultGoalSettings.landingBatch),
  /** Candidates of the speculative queue in CI at once (1: one landing judged at a time). */
  queueDepth: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(defaultGoalSettings.queueDepth ?? 4),
  breaker: z
    .strictObject({
      threshold: z.number().int().min(1).max(100).default(REPO_BREAKER_DEFAULTS.threshold),
      cooldownMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .default(REPO_BREAKER_DEFAULTS.cooldownMs / 60_000),
    })
    .prefault({}),
  ci: z
    .strictObject({
      /** `required`: wait for CI and say so; `optional`: after the timeout the task's own criteria decide. */
      policy: z.enum(['required', 'optional']).default(defaultGoalSettings.ci.policy),
      timeoutMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .default(defaultGoalSettings.ci.timeoutMs / 60_000),
    })
    .prefault({}),
  /** Globs tasks may never change; .github/workflows/** is always blocked. */
  blockedPaths: z.array(z.string().trim().min(1)).max(100).default(['.github/**']),
  /** The largest file a task may add or grow to; unset, the task workflow's default (1 MiB). */
  maxFileBytes: z
    .number()
    .int()
    .min(1)
    .max(100 * 1024 * 1024)
    .optional(),
  agent: z
    .strictObject({
      backend: z.enum(['claude-code', 'anthropic', 'command']).default('claude-code'),
      command: z.string().default(''),
      maxTurns: z.number().int().min(1).max(500).default(60),
      criteriaIterations: z.number().int().min(1).max(10).default(3),
      timeoutMinutes: z.number().int().min(1).max(360).default(45),
      publishPartial: z.boolean().default(false),
      review: z.boolean().default(false),
      /**
       * `contained` (the default): the agent and the criteria run as an unprivileged user of their
       * own, behind the LLM gateway and the egress allowlist; a runner that cannot set that up
       * fails the job. `unisolated`: an explicit opt-out for self-hosted runners without root or
       * sudo; the agent then runs as the job's user, and every plan comment says so.
       */
      isolation: z.enum(['contained', 'unisolated']).default('contained'),
    })
    .prefault({})
    .refine((a) => a.backend !== 'command' || a.command.trim() !== '', {
      message: 'agent.command is required when agent.backend is command',
      path: ['command'],
    }),
  network: z
    .strictObject({
      /**
       * Destinations the agent may reach besides the defaults (`DEFAULT_EGRESS_ALLOW`: the common
       * package registries): `host`, `host:port` or `*.example.com`. Added to the defaults, never
       * replacing them.
       */
      allow: z
        .array(
          z
            .string()
            .max(300)
            .superRefine((entry, ctx) => {
              try {
                parseAllowEntry(entry);
              } catch (e) {
                // The path already says `network.allow.<n>`; the message names the entry.
                ctx.addIssue({
                  code: 'custom',
                  message: (e as Error).message.replace(/^network\.allow /, ''),
                });
              }
            })
            .transform((entry) => entry.trim()),
        )
        .max(100)
        .default([]),
    })
    .prefault({}),
  recovery: z
    .strictObject({
      /** `true`: tasks the recovery planner adds run without ticks; by default a person approves them. */
      autoApprove: z.boolean().default(defaultGoalSettings.recovery.autoApprove),
    })
    .prefault({}),
  /** Extra rules for every plan (house style, constraints). */
  rules: z.array(z.string().trim().min(1).max(500)).max(50).default([]),
  testCommand: z.string().trim().max(500).optional(),
});
export type GantryConfig = z.output<typeof GantryConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`.github/gantry.yml is invalid:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  }
}

/** Validate the parsed YAML (undefined when the file does not exist: all defaults). */
export function parseConfig(data: unknown): GantryConfig {
  const parsed = GantryConfigSchema.safeParse(data ?? {});
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `\`${i.path.map(String).join('.') || '(file)'}\`: ${i.message}`,
      ),
    );
  return parsed.data;
}

/** The trigger label, readable even from a config that is otherwise invalid. */
export function triggerLabel(raw: unknown): string {
  const value =
    typeof raw === 'object' && raw !== null ? (raw as { label?: unknown }).label : undefined;
  const parsed = GantryConfigSchema.shape.label.safeParse(value);
  return parsed.success ? parsed.data : GantryConfigSchema.shape.label.parse(undefined);
}

/** The top-level keys, for the comment that explains an invalid config. */
export const CONFIG_KEYS = Object.keys(GantryConfigSchema.shape);

/** The comment posted (once) on an issue whose repository has an invalid config. */
export function configErrorComment(error: ConfigError, trigger = 'gantry'): string {
  return [
    '**Gantry cannot work on this issue: `.github/gantry.yml` is invalid.**',
    '',
    ...error.problems.map((p) => `- ${inert(p, 'line')}`),
    '',
    `Allowed top-level keys: ${CONFIG_KEYS.map((k) => `\`${k}\``).join(', ')}. Fix the file on the default branch, then remove and re-add the ${inert(trigger, 'code')} label.`,
  ].join('\n');
}

/** The most `/gantry budget <usd>` may set: `budget.maxGoalUsd`, or four times `goalUsd`. */
export function maxGoalUsd(c: GantryConfig): number {
  return c.budget.maxGoalUsd ?? c.budget.goalUsd * 4;
}

/** Whether a bot login is in `approval.allowBots` (written with or without `[bot]`). */
export function allowedBot(c: GantryConfig, login: string): boolean {
  const bare = login.replace(/\[bot\]$/, '');
  return c.approval.allowBots.some((b) => b.replace(/\[bot\]$/, '') === bare);
}

/**
 * The core's per-goal settings from the repository config. The auto policy applies only to
 * issues that also carry `approval.autoLabel`. Tier estimates are priced here, where the LLM
 * config is known, for the plan comment to show.
 */
export function goalSettingsFrom(c: GantryConfig, issueLabels: readonly string[]): GoalSettings {
  const auto = c.approval.policy === 'auto' && issueLabels.includes(c.approval.autoLabel);
  return {
    approval: auto ? 'auto' : 'required',
    maxParallel: c.maxParallel,
    maxAttempts: c.maxAttempts,
    landingBatch: c.landingBatch,
    queueDepth: c.queueDepth,
    ci: { policy: c.ci.policy, timeoutMs: c.ci.timeoutMinutes * 60_000 },
    budget: { goalUsd: c.budget.goalUsd, taskUsd: c.budget.taskUsd, tierUsd: c.budget.tierUsd },
    // The config schema refuses tier models without a price, so this cannot throw.
    tiers: tierEstimates(c.llm),
    recovery: { autoApprove: c.recovery.autoApprove },
    // Only when set: states of contained goals stay as they were before the setting existed.
    ...(c.agent.isolation === 'unisolated' ? { isolation: 'unisolated' as const } : {}),
  };
}
