import Anthropic from '@anthropic-ai/sdk';
import type { Plan } from '../core/plan.js';
import { PlannerConfigError, PlannerRequestError } from './errors.js';
import { estimatePlan, type PlanEstimate } from './estimate.js';
import { mergeFindings, type Finding } from './knowledge.js';
import { defaultLlmConfig, type LlmConfig } from '../llm/llm-config.js';
import type {
  KnowledgeRequest,
  Planner,
  PlanRequest,
  Recovery,
  RecoveryRequest,
  Result,
  ReviewRequest,
} from './planner.js';
import {
  KNOWLEDGE_SYSTEM,
  PLAN_SYSTEM,
  RECOVERY_SYSTEM,
  REVIEW_SYSTEM,
  knowledgeUserMessage,
  planUserMessage,
  recoveryUserMessage,
  reviewUserMessage,
} from './prompts.js';
import { renderRepoContext } from './repo-context.js';
import {
  KnowledgeOutputSchema,
  ModelPlanSchema,
  RecoveryOutputSchema,
  ReviewOutputSchema,
  type ReviewOutput,
} from './schemas.js';
import { callStructured } from './structured-call.js';
import { checkKnowledge, checkPlan, checkRecovery, checkReview } from './validate-output.js';

export interface AnthropicPlannerOptions {
  apiKey: string | undefined;
  config?: LlmConfig;
  /** Defaults to the SDK's (the public API, or ANTHROPIC_BASE_URL). */
  baseURL?: string | undefined;
}

/** The planner on the real model, through the official SDK. */
export class AnthropicPlanner implements Planner {
  readonly label: string;
  private readonly client: Anthropic;
  private readonly config: LlmConfig;

  constructor(options: AnthropicPlannerOptions) {
    if (!options.apiKey)
      throw new PlannerConfigError(
        'ANTHROPIC_API_KEY is not set',
        'Gantry has no Anthropic API key. Set `ANTHROPIC_API_KEY` in the Gantry app environment.',
      );
    this.config = options.config ?? defaultLlmConfig;
    this.client = new Anthropic({
      apiKey: options.apiKey,
      timeout: this.config.timeoutMs,
      maxRetries: this.config.maxRetries,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    });
    this.label = `Anthropic ${this.config.models.planning}`;
  }

  plan(req: PlanRequest): Promise<Result<Plan>> {
    return callStructured(this.client, this.config.pricing, {
      operation: 'plan',
      model: this.config.models.planning,
      system: PLAN_SYSTEM,
      context: renderRepoContext(req.repo),
      user: planUserMessage(req),
      schema: ModelPlanSchema,
      check: (data) => checkPlan(data, req.rigor),
      maxTokens: this.config.maxOutputTokens[req.rigor],
      maxRepairs: this.config.maxRepairs,
    });
  }

  recover(req: RecoveryRequest): Promise<Result<Recovery>> {
    const task = req.plan.tasks.find((t) => t.id === req.taskId);
    if (!task)
      return Promise.reject(
        new PlannerRequestError(
          `no task ${req.taskId}`,
          `Recovery was asked for ${req.taskId}, which is not in the plan.`,
        ),
      );
    return callStructured(this.client, this.config.pricing, {
      operation: 'recover',
      model: this.config.models.recovery,
      system: RECOVERY_SYSTEM,
      user: recoveryUserMessage({
        plan: req.plan,
        task,
        attempts: req.attempts,
        failure: req.failure,
      }),
      schema: RecoveryOutputSchema,
      check: (data) => checkRecovery(data, req.plan, req.taskId),
      maxTokens: this.config.maxOutputTokens.recovery,
      maxRepairs: this.config.maxRepairs,
    });
  }

  async extractKnowledge(req: KnowledgeRequest): Promise<Result<Finding[]>> {
    const r = await callStructured(this.client, this.config.pricing, {
      operation: 'knowledge',
      model: this.config.models.knowledge,
      system: KNOWLEDGE_SYSTEM,
      user: knowledgeUserMessage(req),
      schema: KnowledgeOutputSchema,
      check: checkKnowledge,
      maxTokens: this.config.maxOutputTokens.knowledge,
      maxRepairs: this.config.maxRepairs,
    });
    return {
      value: mergeFindings(
        req.known,
        r.value.findings.map((f) => ({ ...f, source: req.task.id })),
      ),
      calls: r.calls,
    };
  }

  review(req: ReviewRequest): Promise<Result<ReviewOutput>> {
    return callStructured(this.client, this.config.pricing, {
      operation: 'review',
      model: this.config.models.review,
      system: REVIEW_SYSTEM,
      user: reviewUserMessage(req),
      schema: ReviewOutputSchema,
      check: checkReview,
      maxTokens: this.config.maxOutputTokens.review,
      maxRepairs: this.config.maxRepairs,
    });
  }

  estimate(plan: Plan): PlanEstimate {
    return estimatePlan(plan, this.config);
  }
}
