import { inert } from './inert.js';

/**
 * `/gantry <verb> [args]` in an issue comment. The comment must start with the command; for
 * `replan` everything after the verb (more lines included) is the feedback.
 */
export type Command =
  | { verb: 'approve' | 'start' | 'pause' | 'resume' | 'cancel' | 'status' | 'help' }
  | { verb: 'replan'; feedback: string }
  | { verb: 'retry' | 'skip'; taskId: string }
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
        problem: `\`${verb}\` takes no argument (got ${inert(firstLineArgs, 'code')})`,
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
          problem: `\`${verb}\` needs a task id such as \`T3\`${firstLineArgs ? ` (got ${inert(firstLineArgs, 'code')})` : ''}`,
        };
      return { verb, taskId: id };
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

export const COMMAND_HELP = [
  '| Command | What it does |',
  '| --- | --- |',
  '| `/gantry approve` | Approve every task of the plan |',
  '| `/gantry start` | Start the approved tasks (same as ticking **Start**) |',
  '| `/gantry replan <feedback>` | Plan again with your feedback; the old plan stays, collapsed |',
  '| `/gantry retry T3` | Give a failed task (or one that needs a human) another attempt |',
  '| `/gantry skip T3` | Skip a task; its dependents go on without it |',
  '| `/gantry pause` / `resume` | Stop starting new tasks / go on |',
  '| `/gantry cancel` | Cancel the goal; branches are kept |',
  '| `/gantry budget 40` | Set the goal budget in US dollars |',
  '| `/gantry status` | Show where the goal is |',
  '| `/gantry help` | Show this help |',
  '',
  'Only people with write, maintain or admin access can tick boxes or run commands.',
].join('\n');
