// The Planner methods are async without awaiting anything: a bad fixture must reject the
// returned promise, as a model call would, not throw before a caller can attach `.catch`.
/* eslint-disable @typescript-eslint/require-await */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Plan, Task } from '../core/plan.js';
import type { DraftTask } from './issue-plan.js';
import { planFitsComment } from '../core/checklist/fits-comment.js';
import { validatePlan } from '../core/validate-plan.js';
import { PlannerOutputError, PlannerRequestError } from './errors.js';
import { estimatePlan, type PlanEstimate } from './estimate.js';
import { mergeFindings, type Finding } from './knowledge.js';
import { defaultLlmConfig, type LlmConfig } from '../llm/llm-config.js';
import type { CallReport } from './call-report.js';
import type {
  KnowledgeRequest,
  Planner,
  PlanRequest,
  Recovery,
  RecoveryRequest,
  Result,
  ReviewRequest,
} from './planner.js';
import type { ReviewOutput } from './schemas.js';
import {
  checkKnowledge,
  checkPlan,
  checkRecovery,
  checkReview,
  type Checked,
} from './validate-output.js';

const TAG = '[scripted]';

const ScriptSchema = z.strictObject({
  /** Plans in the order `plan` is called; the last one repeats. */
  plans: z.array(z.unknown()).min(1),
  /** Used in order; an entry with a taskId only answers for that task. */
  recoveries: z.array(z.looseObject({ taskId: z.string().optional() })).default([]),
  knowledge: z
    .array(z.strictObject({ taskId: z.string(), findings: z.array(z.unknown()) }))
    .default([]),
  reviews: z.array(z.looseObject({ taskId: z.string() })).default([]),
  /**
   * A failure the recoveries have no entry for: `retry` (the default) tries again with the
   * failure as guidance, until the goal's `maxAttempts` asks a human, as a model would;
   * `escalate` asks a human at once.
   */
  unscripted: z.enum(['retry', 'escalate']).default('retry'),
});
export type Script = z.input<typeof ScriptSchema>;

/**
 * A planner that answers from a fixture instead of a model, for the offline demo and tests.
 * Its answers pass the same checks as a model's, and it says it is scripted wherever its output
 * is shown: the label, `[scripted]` in every text it writes, and `scripted` as the model.
 */
export class ScriptedPlanner implements Planner {
  readonly label: string;
  private readonly script: z.output<typeof ScriptSchema>;
  private plansUsed = 0;
  private readonly used = new Set<object>();

  constructor(
    script: Script,
    private readonly name = 'inline script',
    private readonly config: LlmConfig = defaultLlmConfig,
  ) {
    const parsed = ScriptSchema.safeParse(script);
    if (!parsed.success)
      throw fixtureError(
        name,
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    parsed.data.plans.forEach((p, k) => {
      const r = validatePlan(p, [planFitsComment]);
      if (!r.ok)
        throw fixtureError(
          name,
          r.error.problems.map((x) => `plans.${k}.${x.path}: ${x.message}`),
        );
    });
    this.script = parsed.data;
    this.label = `scripted planner (${name}), not a model`;
  }

  static async fromFile(path: string, config?: LlmConfig): Promise<ScriptedPlanner> {
    let data: unknown;
    try {
      data = parseYaml(await readFile(path, 'utf8'));
    } catch (e) {
      throw fixtureError(path, [(e as Error).message]);
    }
    return new ScriptedPlanner(data as Script, relative(process.cwd(), path) || path, config);
  }

  async plan(req: PlanRequest): Promise<Result<Plan>> {
    const data = this.script.plans[Math.min(this.plansUsed++, this.script.plans.length - 1)];
    const scripted = this.checked(checkPlan(data, req.rigor));
    const plan = req.draft ? fillDraft(scripted, req.draft, req.repo.testCommand) : scripted;
    return this.answer('plan', {
      ...plan,
      goal: { ...plan.goal, body: `${TAG} ${plan.goal.body}`.slice(0, 4000) },
    });
  }

  async recover(req: RecoveryRequest): Promise<Result<Recovery>> {
    if (!req.plan.tasks.some((t) => t.id === req.taskId))
      throw new PlannerRequestError(
        `no task ${req.taskId}`,
        `Recovery was asked for ${req.taskId}, which is not in the plan.`,
      );
    const entry = this.take(
      this.script.recoveries,
      (e) => e.taskId === undefined || e.taskId === req.taskId,
    );
    if (!entry)
      return this.answer(
        'recover',
        this.script.unscripted === 'escalate'
          ? {
              rootCause: `${TAG} no scripted recovery for ${req.taskId}`,
              action: {
                kind: 'escalate',
                question: `${TAG} The script has no recovery for ${req.taskId}. What should happen?`,
              },
            }
          : {
              rootCause: clip(`${TAG} ${req.failure.kind} failure: ${req.failure.detail}`, 1000),
              action: { kind: 'retry', guidance: failureGuidance(req) },
            },
      );
    const { taskId: _taskId, ...output } = entry;
    const r = this.checked(checkRecovery(output, req.plan, req.taskId));
    const action: Recovery['action'] =
      r.action.kind === 'retry'
        ? { ...r.action, guidance: `${TAG} ${r.action.guidance}` }
        : r.action.kind === 'escalate'
          ? { ...r.action, question: `${TAG} ${r.action.question}` }
          : { ...r.action, guidance: `${TAG} ${r.action.guidance ?? 'Injected by the script.'}` };
    return this.answer('recover', { rootCause: `${TAG} ${r.rootCause}`, action });
  }

  async extractKnowledge(req: KnowledgeRequest): Promise<Result<Finding[]>> {
    const entry = this.take(this.script.knowledge, (e) => e.taskId === req.task.id);
    const found = entry ? this.checked(checkKnowledge({ findings: entry.findings })).findings : [];
    return this.answer(
      'knowledge',
      mergeFindings(
        req.known,
        found.map((f) => ({ ...f, text: `${TAG} ${f.text}`, source: req.task.id })),
      ),
    );
  }

  async review(req: ReviewRequest): Promise<Result<ReviewOutput>> {
    const entry = this.take(this.script.reviews, (e) => e.taskId === req.task.id);
    if (!entry) return this.answer('review', { verdict: 'PASSED' });
    const { taskId: _taskId, ...output } = entry;
    const r = this.checked(checkReview(output));
    return this.answer(
      'review',
      r.verdict === 'GAPS_FOUND'
        ? { ...r, feedback: `${TAG} ${r.feedback}` }
        : r.verdict === 'HUMAN_NEEDED'
          ? { ...r, question: `${TAG} ${r.question}` }
          : r,
    );
  }

  estimate(plan: Plan): PlanEstimate {
    return estimatePlan(plan, this.config);
  }

  private take<T extends object>(entries: readonly T[], match: (e: T) => boolean): T | undefined {
    const entry = entries.find((e) => !this.used.has(e) && match(e));
    if (entry) this.used.add(entry);
    return entry;
  }

  private checked<T>(c: Checked<T>): T {
    if (!c.ok) throw fixtureError(this.name, c.problems);
    return c.value;
  }

  private answer<T>(operation: CallReport['operation'], value: T): Result<T> {
    const call: CallReport = {
      operation,
      provider: 'scripted',
      model: 'scripted',
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0,
      stopReason: 'scripted',
      repair: 0,
    };
    return { value, calls: [call] };
  }
}

/**
 * A person's tasks, what they leave out filled from the script's task of the same id; a task the
 * script lacks gets the repository's test command as its criterion (offline, no model guesses).
 */
function fillDraft(plan: Plan, draft: readonly DraftTask[], testCommand: string | undefined): Plan {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const tasks = draft.map((d): Task => ({
    description: `${TAG} filled in by the script`,
    tier: 'small',
    scope: [],
    criteria: [{ kind: 'command', run: testCommand ?? 'npm test' }],
    estimate: 30,
    ...byId.get(d.id),
    ...(Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as DraftTask),
  }));
  return { ...plan, tasks };
}

/** Text cut to `max` characters at a word, marked as cut. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.search(/\s\S*$/);
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/**
 * Guidance for a retry the script has no entry for: what failed, in the failure's own words
 * (criteria, refused paths, checks, the end of the log), so the next attempt can act on it.
 */
function failureGuidance(req: RecoveryRequest): string {
  const f = req.failure;
  const attempt = req.attempts.at(-1)?.attempt;
  const lines = [
    `${TAG} ${attempt ? `Attempt ${attempt}` : 'The last attempt'} of ${req.taskId} failed (${f.kind}): ${f.detail}`,
    ...(f.failedCriteria?.length ? [`Failed criteria: ${f.failedCriteria.join('; ')}`] : []),
    ...(f.refusedPaths?.length ? [`Refused: ${f.refusedPaths.join('; ')}`] : []),
    ...(f.failedChecks?.length ? [`Failed checks: ${f.failedChecks.join(', ')}`] : []),
    ...(f.logTail?.trim()
      ? [`The log ends:\n${f.logTail.trim().split('\n').slice(-10).join('\n')}`]
      : []),
  ];
  return `${clip(lines.join('\n'), 1970)}\nFix that and try again.`;
}

function fixtureError(name: string, problems: string[]): PlannerOutputError {
  return new PlannerOutputError(
    `scripted planner fixture ${name} is invalid: ${problems.join('; ')}`,
    `The scripted planner's fixture \`${name}\` is invalid:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    problems,
    1,
  );
}
