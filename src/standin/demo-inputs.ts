import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Dag, DagError } from '../core/dag.js';
import { validatePlan } from '../core/validate-plan.js';
import { planFitsComment } from '../core/checklist/fits-comment.js';
import { PlannerOutputError } from '../planner/errors.js';
import { ScriptedPlanner, type Script } from '../planner/scripted-planner.js';
import { DemoError } from './demo-error.js';

/** One attempt of the scripted agent, as `scripted-agent.ts` plays it back. */
const StepSchema = z.strictObject({
  run: z.string().optional(),
  write: z.record(z.string(), z.string()).optional(),
  append: z.record(z.string(), z.string()).optional(),
  say: z.string().optional(),
  exit: z.number().int().min(0).max(255).optional(),
});
const AgentSchema = z.record(z.string(), z.array(StepSchema).min(1));

/** The text of a file named on the command line: "no such file" when it is not there. */
function readGiven(flag: string, path: string): string {
  if (!existsSync(path)) throw new DemoError(`${flag}: no such file: ${path}`, false);
  if (statSync(path).isDirectory())
    throw new DemoError(`${flag}: ${path} is a directory, not a file.`, false);
  return readFileSync(path, 'utf8');
}

/**
 * Duplicate ids, unknown or self dependencies and cycles among the tasks of a plan as written,
 * even when it fails the schema elsewhere (the core stops at the schema), in the core's words.
 */
function dagProblems(plan: unknown): string[] {
  const raw = (plan as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(raw)) return [];
  const nodes = raw.flatMap((t: unknown, i) => {
    const { id, dependsOn } = (t ?? {}) as { id?: unknown; dependsOn?: unknown };
    if (typeof id !== 'string') return [];
    const deps = Array.isArray(dependsOn)
      ? dependsOn.filter((d): d is string => typeof d === 'string')
      : [];
    return [{ i, id, dependsOn: deps }];
  });
  const problems: string[] = [];
  const first = new Map<string, number>();
  for (const n of nodes) {
    const seen = first.get(n.id);
    if (seen === undefined) first.set(n.id, n.i);
    else
      problems.push(
        `tasks.${n.i}.id: ${n.id} is used by tasks ${seen} and ${n.i}; every task needs its own id`,
      );
  }
  const unique = nodes.filter((n) => first.get(n.id) === n.i);
  const sound = unique.map((n) => ({
    id: n.id,
    dependsOn: n.dependsOn.filter((d, k) => {
      if (d === n.id) problems.push(`tasks.${n.i}.dependsOn.${k}: ${n.id} depends on itself`);
      else if (!first.has(d))
        problems.push(
          `tasks.${n.i}.dependsOn.${k}: ${n.id} depends on ${d}, which is not in the plan`,
        );
      else return true;
      return false;
    }),
  }));
  try {
    Dag.of(sound);
  } catch (e) {
    if (!(e instanceof DagError)) throw e;
    const i = unique.find((n) => n.id === e.taskId)?.i;
    problems.push(`tasks.${i}.dependsOn: ${e.message}`);
  }
  return problems;
}

/** Every problem of a scripted plan: the script's shape, each plan's schema and its DAG. */
function planProblems(data: unknown, name: string): string[] {
  const problems: string[] = [];
  try {
    new ScriptedPlanner(data as Script, name);
  } catch (e) {
    if (!(e instanceof PlannerOutputError)) throw e;
    problems.push(...e.problems);
  }
  const plans = (data as { plans?: unknown } | null)?.plans;
  if (Array.isArray(plans))
    plans.forEach((p: unknown, k) => {
      const r = validatePlan(p, [planFitsComment]);
      if (!r.ok)
        problems.push(...r.error.problems.map((x) => `plans.${k}.${x.path}: ${x.message}`));
      problems.push(...dagProblems(p).map((x) => `plans.${k}.${x}`));
    });
  return [...new Set(problems)];
}

/** Task ids of the scripted plans, to find tasks the agent script has nothing for. */
function taskIds(data: unknown): string[] {
  const plans = (data as { plans?: unknown } | null)?.plans;
  if (!Array.isArray(plans)) return [];
  return plans.flatMap((p: unknown) => {
    const tasks = (p as { tasks?: unknown } | null)?.tasks;
    return Array.isArray(tasks)
      ? tasks.flatMap((t: unknown) => {
          const id = (t as { id?: unknown } | null)?.id;
          return typeof id === 'string' ? [id] : [];
        })
      : [];
  });
}

/**
 * The scripted plan and agent given with --plan and --agent (absolute paths), checked together:
 * one DemoError lists every problem of both files, so one edit fixes them all.
 */
export function checkScript(
  planPath: string,
  agentPath: string,
  names: { plan: string; agent: string },
): { planner: ScriptedPlanner; script: Script } {
  const planText = readGiven('--plan', planPath);
  const agentText = readGiven('--agent', agentPath);
  const planProblemsFound: string[] = [];
  const agentProblems: string[] = [];
  let plan: unknown;
  try {
    plan = parseYaml(planText);
    planProblemsFound.push(...planProblems(plan, names.plan));
  } catch (e) {
    planProblemsFound.push(`not YAML or JSON (${(e as Error).message})`);
  }
  try {
    const raw: unknown = JSON.parse(agentText);
    const agent = AgentSchema.safeParse(raw);
    if (!agent.success)
      agentProblems.push(
        ...agent.error.issues.map(
          (i) => `${i.path.map(String).join('.') || '(file)'}: ${i.message}`,
        ),
      );
    const given = typeof raw === 'object' && raw !== null ? raw : {};
    for (const id of new Set(taskIds(plan)))
      if (!Object.hasOwn(given, id))
        agentProblems.push(`nothing for ${id}, a task of the plan: give it a list of attempts`);
  } catch (e) {
    agentProblems.push(`not JSON (${(e as Error).message})`);
  }
  const said = (flag: string, name: string, problems: string[]) =>
    problems.length
      ? [
          `${flag} ${name} is invalid (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
        ]
      : [];
  const message = [
    ...said('--plan', names.plan, planProblemsFound),
    ...said('--agent', names.agent, agentProblems),
  ];
  if (message.length) throw new DemoError(message.join('\n'), false);
  return { planner: new ScriptedPlanner(plan as Script, names.plan), script: plan as Script };
}

/** The goal of a script's first plan: what the issue says when no --goal is given. */
export function scriptGoal(script: Script): { title: string; body: string } {
  return (script.plans[0] as { goal: { title: string; body: string } }).goal;
}

/** The script with every plan's goal the issue's: the plan then says what the issue says. */
export function withGoal(script: Script, goal: { title: string; body: string }): Script {
  return {
    ...script,
    plans: script.plans.map((p) => ({
      ...(p as object),
      goal: { title: goal.title, body: goal.body.slice(0, 3900) || goal.title },
    })),
  };
}

/**
 * The `testCommand` of the repository's own committed `.github/gantry.yml`, if it has one (the
 * App's config key): CI runs it when --ci is not given. A file that does not parse says nothing
 * here; the App reports it.
 */
export function ownTestCommand(repo: string): string | undefined {
  let text: string;
  try {
    text = execFileSync('git', ['-C', repo, 'show', 'HEAD:.github/gantry.yml'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
  try {
    const own = (parseYaml(text) as { testCommand?: unknown } | null)?.testCommand;
    return typeof own === 'string' && own.trim() ? own.trim() : undefined;
  } catch {
    return undefined;
  }
}
