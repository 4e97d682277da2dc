import {
  budgetAboveLimit,
  COMMAND_HELP,
  parseCommand,
  READ_ONLY_VERBS,
  type Command,
} from '../core/commands.js';
import type { GoalEvent } from '../core/events.js';
import { isFinished, isRestartable, type GoalState } from '../core/goal.js';
import { formatUsd, fromMicros } from '../core/money.js';
import { inert } from '../core/inert.js';
import { readCi } from './ci-verdict.js';
import { maxGoalUsd } from './config.js';
import type { GoalContext } from './goal-context.js';
import type { Hint } from './hints.js';
import { permissionOf, refusal } from './permissions.js';
import { beginGoal } from './planning.js';
import { forgetKnowledge, listKnowledge } from './repo-knowledge.js';
import { startGoal } from './start-goal.js';

type CommandHint = Extract<Hint, { kind: 'command' }>;

/**
 * `/gantry <verb>`: from a person with write access, an event for the goal or an answer. Anyone
 * may ask `status` and `help` (they show what the plan comment shows), but a person without
 * write access is answered once, so nobody outside can make Gantry flood the issue.
 */
export async function handleCommand(g: GoalContext, hint: CommandHint): Promise<void> {
  const command = parseCommand(hint.body);
  if (!command || hint.sender.bot) return;
  const { session } = g;
  // Carried out already: this webhook is applied again (a replica died before marking it).
  if (session.state?.commands?.includes(hint.commentId)) return;
  const who = hint.sender.login;
  const quote = `${inert(hint.body.trim().split('\n')[0]!.slice(0, 200), 'quote')}\n\n`;
  const permission = await permissionOf(g.github, who);
  if (command.verb === 'invalid' || READ_ONLY_VERBS.has(command.verb)) {
    const answer = readOnlyAnswer(g, command, quote);
    if (permission.allowed) session.reply(answer);
    else answerOnce(g, who, answer);
    return;
  }
  if (!permission.allowed) {
    session.reply(refusal(who, permission.role, 'run Gantry commands'), { once: true });
    return;
  }
  // The repository's findings are answered whether or not the issue has a goal.
  if (command.verb === 'knowledge' || command.verb === 'forget') {
    const answer =
      command.verb === 'knowledge' ? await listKnowledge(g) : await forgetKnowledge(g, command.n);
    session.reply(`${quote}${answer}`);
    return;
  }
  if (command.verb === 'plan') {
    const why = await planByCommand(g, command.text);
    if (why) {
      session.reply(`${quote}Nothing was planned: ${why}.`);
      return;
    }
    session.acknowledge(hint.commentId);
    session.apply({ type: 'command.handled', at: g.deps.now(), commentId: hint.commentId });
    return;
  }
  if (!session.state) {
    if (command.verb === 'replan' && session.damaged && g.config.ok) {
      await beginGoal(g);
      session.acknowledge(hint.commentId);
      return;
    }
    session.reply(`${quote}${noGoal(g)}`);
    return;
  }
  const revision = session.state.revision;
  const why = await carryOut(g, command, who);
  if (why) session.reply(`${quote}Nothing changed: ${why}.`);
  else session.acknowledge(hint.commentId);
  // Remembered when it changed the goal: the state is written then anyway, so this costs no
  // request. One that changed nothing changes nothing again (at worst its answer is repeated).
  if (session.state && session.state.revision !== revision)
    session.apply({ type: 'command.handled', at: g.deps.now(), commentId: hint.commentId });
}

/** The answer to `help`, `status` or a command Gantry does not know. */
function readOnlyAnswer(g: GoalContext, command: Command, quote: string): string {
  const { session } = g;
  if (command.verb === 'status' && session.state)
    return `${quote}${statusReport(session.state, session.live?.htmlUrl)}`;
  if (command.verb === 'status') return `${quote}${noGoal(g)}`;
  const problem = command.verb === 'invalid' ? `${capitalize(command.problem)}.\n\n` : '';
  return `${quote}${problem}${COMMAND_HELP}`;
}

const noGoal = (g: GoalContext) =>
  `There is no Gantry goal on this issue${g.session.damaged ? ' that Gantry can read (`/gantry replan` makes a new plan)' : ''}. Add the \`${g.trigger}\` label to plan one.`;

/** A hidden mark on the one answer a person without write access gets. */
const answeredMark = (login: string) => `<!-- gantry:answered ${login.toLowerCase()} -->`;

/** Marks of the answers queued in a reconcile and not yet posted. */
const queued = new WeakMap<GoalContext['session'], Set<string>>();

/** Answer a person without write access, unless Gantry has answered them on this issue before. */
function answerOnce(g: GoalContext, login: string, answer: string): void {
  const mark = answeredMark(login);
  const pending = queued.get(g.session) ?? new Set<string>();
  queued.set(g.session, pending);
  if (pending.has(mark) || g.session.facts.comments.some((c) => c.byBot && c.body.includes(mark)))
    return;
  pending.add(mark);
  g.session.reply(
    `${answer}\n\n_@${login}: Gantry answers \`status\` and \`help\` once for each person without write access; the plan comment always shows where the goal is._\n${mark}`,
  );
}

async function carryOut(g: GoalContext, c: Command, who: string): Promise<string | undefined> {
  const state = g.session.state!;
  const at = g.deps.now();
  const base = { at, actor: who };
  let event: GoalEvent;
  switch (c.verb) {
    case 'start':
      return startGoal(g, state.planVersion, who);
    case 'approve': {
      const tasks = state.plan?.tasks ?? [];
      // Once the goal runs, new tasks come from recovery at any moment: an approval names what
      // its author reviewed, so a task added after they read the plan is never approved with it.
      if (state.startedAt !== undefined && !c.taskIds) {
        const waiting = tasks.filter((_, i) => state.tasks.at(i)?.status === 'proposed');
        return `while the goal runs, name the tasks you reviewed${waiting.length ? ` (awaiting approval now: ${waiting.map((t) => t.id).join(', ')}), e.g. \`/gantry approve ${waiting.map((t) => t.id).join(' ')}\`` : ''}; approving everything could take in a task added after you read the plan`;
      }
      const unknown = (c.taskIds ?? []).filter((id) => !tasks.some((t) => t.id === id));
      if (unknown.length)
        return `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the plan`;
      event = {
        ...base,
        type: 'approvals.changed',
        planVersion: state.planVersion,
        changes: (c.taskIds ?? tasks.map((t) => t.id)).map((taskId) => ({
          taskId,
          approved: true,
        })),
      };
      break;
    }
    case 'replan': {
      const before = g.session.state!;
      const r = g.session.apply({ ...base, type: 'replan.requested', feedback: c.feedback });
      if (r.ignored) return r.ignored.message;
      // The new plan goes into a new comment; the old one stays, collapsed.
      g.session.begin(r.state, before);
      return undefined;
    }
    case 'edit':
      event = {
        ...base,
        type: 'approvals.changed',
        planVersion: state.planVersion,
        changes: [],
        edits: [c.edit],
      };
      break;
    case 'retry':
      event = { ...base, type: 'task.retry', taskId: c.taskId };
      break;
    case 'skip':
      event = { ...base, type: 'task.skip', taskId: c.taskId };
      break;
    case 'resume': {
      if (c.knownRed && (state.pausedFor !== 'base' || state.baseVerdict?.verdict !== 'red'))
        return `\`known-red\` is for a goal paused because its default branch is red, and this one ${state.status === 'paused' ? `is paused for ${state.pausedFor ?? 'no reason Gantry knows'}` : `is ${state.status}`}; comment \`/gantry resume\` alone`;
      // Paused by the budget: a raised `budget.goalUsd` in the config is what resumes it.
      const goalUsd = g.config.ok ? g.config.value.budget.goalUsd : undefined;
      if (state.pausedFor === 'budget' && goalUsd === state.settings.budget.goalUsd)
        return `the goal budget is still ${formatUsd(goalUsd)} in \`.github/gantry.yml\`; raise \`budget.goalUsd\` there, or comment \`/gantry budget <usd>\``;
      event =
        state.pausedFor === 'budget' &&
        goalUsd !== undefined &&
        goalUsd !== state.settings.budget.goalUsd
          ? { ...base, type: 'budget.changed', goalUsd }
          : state.pausedFor === 'base'
            ? // A red base is checked again, from the default branch's head if a fix moved it.
              {
                ...base,
                type: 'resume',
                baseSha: await g.github.branchSha(g.ref.defaultBranch),
                ...(c.knownRed ? await knownRedOf(g, state) : {}),
              }
            : { ...base, type: 'resume' };
      break;
    }
    case 'pause':
      event = { ...base, type: c.verb };
      break;
    case 'cancel':
      event = { ...base, type: 'cancel', reason: `Cancelled by @${who}.${kept(state)}` };
      break;
    case 'budget': {
      // The limit is the repository's: with no readable config there is none to hold to, and a
      // fallback derived from the goal's own budget would let each command raise the next limit.
      if (!g.config.ok)
        return `the budget cannot change while \`.github/gantry.yml\` is invalid (its \`budget.maxGoalUsd\` bounds it); fix the config first`;
      const above = budgetAboveLimit(c.usd, maxGoalUsd(g.config.value));
      if (above) return above;
      event = { ...base, type: 'budget.changed', goalUsd: c.usd };
      break;
    }
    case 'status':
    case 'help':
    case 'invalid':
    case 'plan':
    case 'knowledge':
    case 'forget':
      return undefined;
  }
  return g.session.apply(event).ignored?.message;
}

/**
 * `/gantry plan [text]`: plan a goal as the trigger label does, the text added to the issue for
 * the planner. The label is added too, as the goal's mark (a goal whose issue loses its label is
 * cancelled). Returns why nothing was planned, or undefined.
 */
async function planByCommand(g: GoalContext, text: string): Promise<string | undefined> {
  const s = g.session.state;
  const { issue } = g.session.facts;
  if (s && !isRestartable(s.status))
    return `this issue already has a Gantry goal (${s.status}${s.plan ? `, plan v${s.planVersion}` : ''}): see its plan comment. ${
      isFinished(s.status)
        ? 'A done goal is not planned again; open a new issue for more work'
        : s.startedAt === undefined
          ? 'Comment `/gantry replan <feedback>` to plan it again'
          : 'Comment `/gantry cancel`, then `/gantry plan`, to plan it anew'
    }`;
  if (!issue.open) return 'the issue is closed; reopen it first';
  if (!g.config.ok)
    return `\`.github/gantry.yml\` is invalid, so nothing can be planned: ${g.config.error.message}`;
  if (!issue.labels.includes(g.trigger)) {
    await g.github.addLabels(g.ref.issue, [g.trigger]);
    issue.labels.push(g.trigger);
  }
  await beginGoal(g, (s) => (text ? { ...s, replanFeedback: text.slice(0, PLAN_TEXT_CHARS) } : s));
  return undefined;
}

/** The most of `/gantry plan <text>` kept (as much as a replan's feedback). */
const PLAN_TEXT_CHARS = 2000;

/** The answer to `/gantry status`. */
export function statusReport(s: GoalState, planUrl: string | undefined): string {
  const counted = s.tasks.length - s.counts.excluded;
  const busy = (['running', 'landing', 'validating', 'retrying'] as const)
    .filter((k) => s.counts[k] > 0)
    .map((k) => `${s.counts[k]} ${k}`);
  const lines = [
    `**Gantry goal:** ${s.status}${s.pausedFor ? ` (${s.pausedFor})` : ''}${s.plan ? ` · plan v${s.planVersion}` : ''}`,
    `**Tasks:** ${s.counts.done + s.counts.skipped}/${counted} done${busy.length ? ` · ${busy.join(' · ')}` : ''}${s.counts['needs-human'] ? ` · ${s.counts['needs-human']} need a human` : ''}`,
    `**Budget:** ${formatUsd(fromMicros(s.budget.spentMicros))} spent of ${formatUsd(fromMicros(s.budget.capMicros))}`,
  ];
  if (planUrl) lines.push(`Details in the [plan comment](${planUrl}).`);
  return lines.join('\n');
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What a cancelled goal leaves behind, for its note. */
export function kept(s: GoalState): string {
  const landed = s.counts.done;
  if (s.startedAt === undefined || landed === 0) return '';
  return ` The branch \`${s.branch}\` keeps the ${landed} task${landed === 1 ? '' : 's'} that landed${s.pr.number ? `, and pull request #${s.pr.number} stays open as a draft` : ''}.`;
}

/**
 * `known-red` with the checks that fail on the base as CI says now: the verdict that paused the
 * goal may have come while other checks were still running.
 */
async function knownRedOf(
  g: GoalContext,
  state: GoalState,
): Promise<{ knownRed: true; failedChecks?: string[] }> {
  const sha = state.baseVerdict!.sha;
  const reading = await readCi(g, sha, g.deps.now());
  if (reading.kind === 'verdict' && reading.event.verdict === 'red')
    return { knownRed: true, failedChecks: reading.event.failedChecks };
  return { knownRed: true };
}
