import type { Code } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import { visit } from 'unist-util-visit';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { planFitsComment } from '../core/checklist/fits-comment.js';
import { planProblemText } from '../core/plan-problem-text.js';
import { PLAN_LIMITS, TaskSchema, type Plan, type Rigor, type Task } from '../core/plan.js';
import { validatePlan } from '../core/validate-plan.js';
import { hasInvisible } from './untrusted.js';

/** The info string of the fenced block in an issue body that holds a person's plan. */
export const ISSUE_PLAN_BLOCK = 'gantry-plan';

/** Task fields a person may leave out of a written plan: the planner fills them. */
export const FILLED_FIELDS = ['description', 'tier', 'scope', 'criteria', 'estimate'] as const;
type Filled = (typeof FILLED_FIELDS)[number];

/**
 * A task as a person writes it: an id and a title at least; the plan schema for every field but
 * `covers`, which names the planner's requirements and so comes from the planner's task.
 */
const DraftTaskSchema = TaskSchema.omit({ covers: true })
  .partial({
    description: true,
    tier: true,
    scope: true,
    criteria: true,
    estimate: true,
  })
  .extend({ dependsOn: TaskSchema.shape.dependsOn.default([]) });
export type DraftTask = z.output<typeof DraftTaskSchema>;

const DraftSchema = z.array(DraftTaskSchema).min(1).max(PLAN_LIMITS.tasks);

export type IssuePlan = { ok: true; tasks: DraftTask[] } | { ok: false; problems: string[] };

/**
 * The plan a person wrote in the issue body, as a fenced ```gantry-plan block holding a YAML list
 * of tasks; undefined when there is none. Each problem names the task and field. The issue is
 * untrusted text, so characters that hide text from the person approving are refused.
 */
export function readIssuePlan(body: string): IssuePlan | undefined {
  const blocks: Code[] = [];
  visit(fromMarkdown(body, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] }), (n) => {
    if (n.type === 'code' && n.lang === ISSUE_PLAN_BLOCK) blocks.push(n);
  });
  if (blocks.length === 0) return undefined;
  const fail = (...problems: string[]) => ({ ok: false as const, problems });
  if (blocks.length > 1)
    return fail(`the issue has ${blocks.length} \`${ISSUE_PLAN_BLOCK}\` blocks; keep one`);
  const text = blocks[0]!.value;
  if (hasInvisible(text))
    return fail(
      'the block contains invisible characters (zero-width, bidi or tag characters) that would hide text from the person approving; remove them',
    );
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    return fail(`the block is not valid YAML: ${(e as Error).message}`);
  }
  const parsed = DraftSchema.safeParse(data);
  if (!parsed.success)
    return fail(
      ...parsed.error.issues.map((i) => {
        const [index, ...rest] = i.path;
        const id = typeof index === 'number' ? idAt(data, index) : undefined;
        const where =
          typeof index !== 'number'
            ? `the block`
            : [id ?? `task ${index + 1}`, ...rest.map(String)].join('.');
        return `${where}: ${i.message}${typeof index === 'number' ? '' : ` (the block holds a YAML list of tasks, each with at least \`id\` and \`title\`)`}`;
      }),
    );
  // Structure first (ids, dependencies, cycles), before anything is spent on filling the rest.
  const shaped = validatePlan(assemble(parsed.data, { title: 'x', body: '' }, 'L1'));
  if (!shaped.ok) return fail(...shaped.error.problems.map((p) => planProblemText(parsed.data, p)));
  return { ok: true, tasks: parsed.data };
}

/** The fields each task leaves for the planner (`T2: criteria, estimate`); empty when none. */
export function missingFields(tasks: readonly DraftTask[]): { id: string; fields: Filled[] }[] {
  return tasks.flatMap((t) => {
    const fields = FILLED_FIELDS.filter((f) => t[f] === undefined);
    return fields.length ? [{ id: t.id, fields }] : [];
  });
}

/**
 * The person's plan completed: every field they wrote is kept as written; a missing field comes
 * from the planner's task of the same id (tasks the planner made up are dropped), and the plan's
 * requirements (with each task's `covers`) and notes (phases, questions, risks) from the
 * planner's plan. The result is validated in full.
 */
export function completeIssuePlan(input: {
  tasks: readonly DraftTask[];
  goal: { title: string; body: string };
  rigor: Rigor;
  planned?: Plan | undefined;
}): { ok: true; plan: Plan } | { ok: false; problems: string[] } {
  const { planned } = input;
  const byId = new Map(planned?.tasks.map((t) => [t.id, t]));
  const gaps: string[] = [];
  const tasks = input.tasks.map((t) => {
    const filled: Partial<Task> = {};
    for (const f of FILLED_FIELDS) {
      if (t[f] !== undefined) continue;
      const value = byId.get(t.id)?.[f];
      if (value === undefined) gaps.push(`${t.id}.${f}`);
      else Object.assign(filled, { [f]: value });
    }
    const covers = byId.get(t.id)?.covers;
    return { ...filled, ...(covers ? { covers } : {}), ...definedOf(t) };
  });
  if (gaps.length)
    return {
      ok: false,
      problems: [
        `the planner did not fill ${gaps.join(', ')}; write ${gaps.length === 1 ? 'it' : 'them'} in the \`${ISSUE_PLAN_BLOCK}\` block`,
      ],
    };
  const ids = new Set(tasks.map((t) => t.id));
  const phases = planned?.phases
    ?.map((p) => ({ ...p, tasks: p.tasks.filter((id) => ids.has(id)) }))
    .filter((p) => p.tasks.length > 0);
  const plan = {
    goal: { title: input.goal.title, body: planned?.goal.body ?? input.goal.body },
    rigor: input.rigor,
    ...(planned?.requirements ? { requirements: planned.requirements } : {}),
    tasks,
    ...(phases ? { phases } : {}),
    ...(planned?.openQuestions ? { openQuestions: planned.openQuestions } : {}),
    ...(planned?.risks ? { risks: planned.risks } : {}),
    ...(planned?.testStrategy ? { testStrategy: planned.testStrategy } : {}),
  };
  const r = validatePlan(plan, [planFitsComment]);
  return r.ok
    ? { ok: true, plan: r.plan }
    : { ok: false, problems: r.error.problems.map((p) => planProblemText(tasks, p)) };
}

/** A person's plan that leaves nothing to fill needs no planner (rigor L1 has no plan notes). */
export function needsPlanner(tasks: readonly DraftTask[], rigor: Rigor): boolean {
  return rigor !== 'L1' || missingFields(tasks).length > 0;
}

/** The draft as a plan, placeholders in the missing fields: for the structural check only. */
function assemble(tasks: readonly DraftTask[], goal: Plan['goal'], rigor: Rigor): unknown {
  const placeholder: Pick<Task, Filled> = {
    description: '',
    tier: 'small',
    scope: [],
    criteria: [{ kind: 'command', run: 'true' }],
    estimate: 1,
  };
  return { goal, rigor, tasks: tasks.map((t) => ({ ...placeholder, ...definedOf(t) })) };
}

function definedOf<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function idAt(data: unknown, index: number): string | undefined {
  const item: unknown = Array.isArray(data) ? data[index] : undefined;
  const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}
