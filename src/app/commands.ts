import { COMMAND_HELP, parseCommand, type Command } from '../core/commands.js';
import type { GoalEvent } from '../core/events.js';
import type { GoalState } from '../core/goal.js';
import { formatUsd, fromMicros } from '../core/money.js';
import type { GoalContext } from './goal-context.js';
import type { Hint } from './hints.js';
import { permissionOf, refusal } from './permissions.js';
import { newGoalState } from './planning.js';
import { startGoal } from './start-goal.js';

type CommandHint = Extract<Hint, { kind: 'command' }>;

/** `/gantry <verb>` from a person with write access: an event for the goal, or an answer. */
export async function handleCommand(g: GoalContext, hint: CommandHint): Promise<void> {
  const command = parseCommand(hint.body);
  if (!command || hint.sender.bot) return;
  const { session } = g;
  const who = hint.sender.login;
  const quote = `> ${hint.body.trim().split('\n')[0]!.slice(0, 200)}\n\n`;
  const permission = await permissionOf(g.github, who);
  if (!permission.allowed) {
    session.reply(refusal(who, permission.role, 'run Gantry commands'), { once: true });
    return;
  }
  if (command.verb === 'help' || command.verb === 'invalid') {
    const problem = command.verb === 'invalid' ? `${capitalize(command.problem)}.\n\n` : '';
    session.reply(`${quote}${problem}${COMMAND_HELP}`);
    return;
  }
  if (!session.state) {
    if (command.verb === 'replan' && session.damaged && g.config.ok) {
      session.begin(newGoalState(g));
      session.acknowledge(hint.commentId);
      return;
    }
    session.reply(
      `${quote}There is no Gantry goal on this issue${session.damaged ? ' that Gantry can read (`/gantry replan` makes a new plan)' : ''}. Add the \`${g.trigger}\` label to plan one.`,
    );
    return;
  }
  if (command.verb === 'status') {
    session.reply(`${quote}${statusReport(session.state, session.live?.htmlUrl)}`);
    return;
  }
  const why = await carryOut(g, command, who);
  if (why) session.reply(`${quote}Nothing changed: ${why}.`);
  else session.acknowledge(hint.commentId);
}

async function carryOut(g: GoalContext, c: Command, who: string): Promise<string | undefined> {
  const state = g.session.state!;
  const at = g.deps.now();
  const base = { at, actor: who };
  let event: GoalEvent;
  switch (c.verb) {
    case 'start':
      return startGoal(g, state.planVersion, who);
    case 'approve':
      event = {
        ...base,
        type: 'approvals.changed',
        planVersion: state.planVersion,
        changes: (state.plan?.tasks ?? []).map((t) => ({ taskId: t.id, approved: true })),
      };
      break;
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
      // Paused by the budget: a raised `budget.goalUsd` in the config is what resumes it.
      const goalUsd = g.config.ok ? g.config.value.budget.goalUsd : undefined;
      if (state.pausedFor === 'budget' && goalUsd === state.settings.budget.goalUsd)
        return `the goal budget is still ${formatUsd(goalUsd)} in \`.github/gantry.yml\`; raise \`budget.goalUsd\` there, or comment \`/gantry budget <usd>\``;
      event =
        state.pausedFor === 'budget' &&
        goalUsd !== undefined &&
        goalUsd !== state.settings.budget.goalUsd
          ? { ...base, type: 'budget.changed', goalUsd }
          : { ...base, type: 'resume' };
      break;
    }
    case 'pause':
      event = { ...base, type: c.verb };
      break;
    case 'cancel':
      event = { ...base, type: 'cancel', reason: `Cancelled by @${who}.${kept(state)}` };
      break;
    case 'budget':
      event = { ...base, type: 'budget.changed', goalUsd: c.usd };
      break;
    case 'status':
    case 'help':
    case 'invalid':
      return undefined;
  }
  return g.session.apply(event).ignored?.message;
}

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
