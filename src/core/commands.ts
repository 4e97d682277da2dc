import { inert } from './inert.js';
import { formatUsd } from './money.js';
import type { TaskEdit } from './edit-task.js';
import { parseTaskEdit } from './parse-task-edit.js';

/**
 * `/gantry <verb> [args]` in an issue comment. The comment must start with the command; for
 * `replan` everything after the verb (more lines included) is the feedback.
 */
export type Command =
  | { verb: 'start' | 'pause' | 'cancel' | 'status' | 'help' }
  /**
   * `known-red`: on a goal paused for a red base, go on with the checks that failed there judging
   * no landing until one passes them (the goal is what fixes the default branch).
   */
  | { verb: 'resume'; knownRed?: true }
  /** Every task (before Start), or only the named ones (`/gantry approve T5 T2`). */
  | { verb: 'approve'; taskIds?: string[] | undefined }
  | { verb: 'replan'; feedback: string }
  | { verb: 'retry' | 'skip'; taskId: string }
  /** `/gantry edit T3` and YAML on the lines after it: new fields of a task awaiting approval. */
  | { verb: 'edit'; edit: TaskEdit }
  | { verb: 'budget'; usd: number }
  /** `/gantry plan [text]` on an issue: start a goal as the trigger label does, with the text. */
  | { verb: 'plan'; text: string }
  /** The findings earlier goals of the repository left for later ones, numbered. */
  | { verb: 'knowledge' }
  /** Prune the repository's finding numbered `n` (as `knowledge` lists it). */
  | { verb: 'forget'; n: number }
  /** Not a command Gantry knows, or one with a wrong argument: answered with the help. */
  | { verb: 'invalid'; problem: string };

export type CommandVerb = Exclude<Command['verb'], 'invalid'>;

/** Verbs that change the goal; `status` and `help` only answer. */
export const CHANGING_VERBS: ReadonlySet<CommandVerb> = new Set([
  'approve',
  'start',
  'replan',
  'retry',
  'skip',
  'pause',
  'resume',
  'cancel',
  'budget',
  'edit',
  'plan',
  'knowledge',
  'forget',
]);

const PREFIX = /^\/gantry(?=\s|$)/;
const SIMPLE = new Set(['start', 'pause', 'cancel', 'status', 'help']);
const TASK_ID = /^T[1-9]\d{0,3}$/;
const USD = /^\$?(\d{1,6}(?:\.\d{1,2})?)$/;

/** The command in a comment body, or undefined when the comment is not a command. */
export function parseCommand(body: string): Command | undefined {
  const text = body.replace(/\r\n?/g, '\n').trimStart();
  if (!PREFIX.test(text)) return undefined;
  const rest = text.slice('/gantry'.length);
  const [, verbRaw = '', args = ''] = /^[ \t]*(\S*)([\s\S]*)$/.exec(rest) ?? [];
  const verb = verbRaw.toLowerCase();
  const firstLineArgs = args.split('\n')[0]!.trim();
  if (SIMPLE.has(verb)) {
    if (firstLineArgs)
      return {
        verb: 'invalid',
        problem: `\`${verb}\` takes no argument (got ${inert(firstLineArgs, 'code')})`,
      };
    return { verb: verb as Extract<CommandVerb, 'start'> };
  }
  switch (verb) {
    case 'approve': {
      const ids = firstLineArgs.split(/[\s,]+/).filter(Boolean);
      const bad = ids.find((id) => !TASK_ID.test(id.toUpperCase()));
      if (bad !== undefined)
        return {
          verb: 'invalid',
          problem: `\`approve\` takes task ids such as \`T3 T5\`, or nothing for every task (got ${inert(bad, 'code')})`,
        };
      return ids.length
        ? { verb: 'approve', taskIds: [...new Set(ids.map((id) => id.toUpperCase()))] }
        : { verb: 'approve' };
    }
    case 'resume': {
      const arg = firstLineArgs.toLowerCase();
      if (arg === 'known-red') return { verb: 'resume', knownRed: true };
      if (!arg) return { verb: 'resume' };
      return {
        verb: 'invalid',
        problem: `\`resume\` takes nothing, or \`known-red\` on a goal paused for a red default branch (got ${inert(firstLineArgs, 'code')})`,
      };
    }
    case 'replan':
      return { verb: 'replan', feedback: args.trim() };
    case 'plan':
      return { verb: 'plan', text: args.trim() };
    case 'knowledge':
      if (firstLineArgs)
        return {
          verb: 'invalid',
          problem: `\`knowledge\` takes no argument (got ${inert(firstLineArgs, 'code')}); \`/gantry forget <n>\` prunes one`,
        };
      return { verb: 'knowledge' };
    case 'forget': {
      const n = /^#?([1-9]\d{0,9})$/.exec(firstLineArgs)?.[1];
      if (n === undefined)
        return {
          verb: 'invalid',
          problem: `\`forget\` needs the number of a finding as \`/gantry knowledge\` lists it, such as \`/gantry forget 3\`${firstLineArgs ? ` (got ${inert(firstLineArgs, 'code')})` : ''}`,
        };
      return { verb: 'forget', n: Number(n) };
    }
    case 'retry':
    case 'skip': {
      const id = firstLineArgs.toUpperCase();
      if (!TASK_ID.test(id))
        return {
          verb: 'invalid',
          problem: `\`${verb}\` needs a task id such as \`T3\`${firstLineArgs ? ` (got ${inert(firstLineArgs, 'code')})` : ''}`,
        };
      return { verb, taskId: id };
    }
    case 'edit': {
      const id = firstLineArgs.toUpperCase();
      if (!TASK_ID.test(id))
        return {
          verb: 'invalid',
          problem: `\`edit\` needs a task id such as \`T3\`, then the fields to change as YAML on the next lines${firstLineArgs ? ` (got \`${firstLineArgs}\`)` : ''}`,
        };
      const r = parseTaskEdit(id, args.slice(args.indexOf('\n') + 1 || args.length));
      return r.ok ? { verb: 'edit', edit: r.edit } : { verb: 'invalid', problem: r.problem };
    }
    case 'budget': {
      const m = USD.exec(firstLineArgs);
      const usd = m ? Number(m[1]) : NaN;
      if (!(usd > 0))
        return {
          verb: 'invalid',
          problem: `\`budget\` needs the goal's new budget in US dollars, such as \`/gantry budget 40\`${firstLineArgs ? ` (got ${inert(firstLineArgs, 'code')})` : ''}`,
        };
      return { verb: 'budget', usd };
    }
    case '':
      return { verb: 'invalid', problem: 'the command has no verb' };
    default:
      return { verb: 'invalid', problem: `\`${verbRaw}\` is not a Gantry command` };
  }
}

/** Verbs anyone may run: they only answer, with what the plan comment shows anyway. */
export const READ_ONLY_VERBS: ReadonlySet<CommandVerb> = new Set(['status', 'help']);

const WRITERS = 'Write, maintain, admin';
const ANYONE = 'Anyone';

export const COMMAND_HELP = [
  '| Command | What it does | Who may run it |',
  '| --- | --- | --- |',
  `| \`/gantry approve\` / \`approve T5 T2\` | Approve every task (before Start), or the named ones (while the goal runs, name them) | ${WRITERS} |`,
  `| \`/gantry start\` | Start the approved tasks (same as ticking **Start**) | ${WRITERS} |`,
  `| \`/gantry replan <feedback>\` | Plan again with your feedback; the old plan stays, collapsed | ${WRITERS} |`,
  `| \`/gantry retry T3\` | Give a failed task (or one that needs a human) another attempt | ${WRITERS} |`,
  `| \`/gantry skip T3\` | Skip a task; its dependents go on without it | ${WRITERS} |`,
  `| \`/gantry edit T3\` + YAML | Change a task awaiting approval (title, description, tier, dependsOn, scope, criteria); it needs ticks again | ${WRITERS} |`,
  `| \`/gantry pause\` / \`resume\` | Stop starting new tasks / go on | ${WRITERS} |`,
  `| \`/gantry resume known-red\` | On a red default branch: go on, the checks red there judging no landing until one passes them | ${WRITERS} |`,
  `| \`/gantry cancel\` | Cancel the goal; branches are kept | ${WRITERS} |`,
  `| \`/gantry budget 40\` | Set the goal budget in US dollars, up to \`budget.maxGoalUsd\` | ${WRITERS} |`,
  `| \`/gantry plan [text]\` | On an issue without a goal: plan one, as the trigger label does (the text is added to the issue for the planner) | ${WRITERS} |`,
  `| \`/gantry knowledge\` | List, numbered, what earlier goals of this repository learned (offered to the planner of later goals) | ${WRITERS} |`,
  `| \`/gantry forget 3\` | Prune the repository's finding numbered 3 in \`/gantry knowledge\` | ${WRITERS} |`,
  `| \`/gantry status\` | Show where the goal is | ${ANYONE} |`,
  `| \`/gantry help\` | Show this help | ${ANYONE} |`,
  '',
  'Ticking boxes, the trigger label and every command but `status` and `help` need write, maintain or admin access. People without it get one answer to `status` or `help`: the plan comment always shows where the goal is.',
].join('\n');

/**
 * Why `/gantry budget <usd>` may not set this budget (above `budget.maxGoalUsd`), or undefined.
 * A person with write access could otherwise lift every limit on spending with one comment.
 */
export function budgetAboveLimit(usd: number, maxUsd: number): string | undefined {
  if (usd <= maxUsd) return undefined;
  return `${formatUsd(usd)} is above the most a command may set, ${formatUsd(maxUsd)} (\`budget.maxGoalUsd\` in \`.github/gantry.yml\`, by default four times \`budget.goalUsd\`); raise \`budget.maxGoalUsd\` there on the default branch to allow more`;
}
