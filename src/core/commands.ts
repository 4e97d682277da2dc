import type { TaskEdit } from './edit-task.js';
import { parseTaskEdit } from './parse-task-edit.js';

/**
 * `/gantry <verb> [args]` in an issue comment. The comment must start with the command; for
 * `replan` everything after the verb (more lines included) is the feedback.
 */
export type Command =
  | { verb: 'approve' | 'start' | 'pause' | 'resume' | 'cancel' | 'status' | 'help' }
  | { verb: 'replan'; feedback: string }
  | { verb: 'retry' | 'skip'; taskId: string }
  /** `/gantry edit T3` and YAML on the lines after it: new fields of a task awaiting approval. */
  | { verb: 'edit'; edit: TaskEdit }
  | { verb: 'budget'; usd: number }
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
]);

const PREFIX = /^\/gantry(?=\s|$)/;
const SIMPLE = new Set(['approve', 'start', 'pause', 'resume', 'cancel', 'status', 'help']);
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
        problem: `\`${verb}\` takes no argument (got \`${firstLineArgs}\`)`,
      };
    return { verb: verb as Extract<CommandVerb, 'approve'> };
  }
  switch (verb) {
    case 'replan':
      return { verb: 'replan', feedback: args.trim() };
    case 'retry':
    case 'skip': {
      const id = firstLineArgs.toUpperCase();
      if (!TASK_ID.test(id))
        return {
          verb: 'invalid',
          problem: `\`${verb}\` needs a task id such as \`T3\`${firstLineArgs ? ` (got \`${firstLineArgs}\`)` : ''}`,
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
          problem: `\`budget\` needs the goal's new budget in US dollars, such as \`/gantry budget 40\`${firstLineArgs ? ` (got \`${firstLineArgs}\`)` : ''}`,
        };
      return { verb: 'budget', usd };
    }
    case '':
      return { verb: 'invalid', problem: 'the command has no verb' };
    default:
      return { verb: 'invalid', problem: `\`${verbRaw}\` is not a Gantry command` };
  }
}

export const COMMAND_HELP = [
  '| Command | What it does |',
  '| --- | --- |',
  '| `/gantry approve` | Approve every task of the plan |',
  '| `/gantry start` | Start the approved tasks (same as ticking **Start**) |',
  '| `/gantry replan <feedback>` | Plan again with your feedback; the old plan stays, collapsed |',
  '| `/gantry retry T3` | Give a failed task (or one that needs a human) another attempt |',
  '| `/gantry skip T3` | Skip a task; its dependents go on without it |',
  '| `/gantry edit T3` + YAML | Change a task awaiting approval (title, description, tier, dependsOn, scope, criteria); it needs ticks again |',
  '| `/gantry pause` / `resume` | Stop starting new tasks / go on |',
  '| `/gantry cancel` | Cancel the goal; branches are kept |',
  '| `/gantry budget 40` | Set the goal budget in US dollars |',
  '| `/gantry status` | Show where the goal is |',
  '| `/gantry help` | Show this help |',
  '',
  'Only people with write, maintain or admin access can tick boxes or run commands.',
].join('\n');
