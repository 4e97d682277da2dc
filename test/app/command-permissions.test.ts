import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, CHANGING_VERBS, READ_ONLY_VERBS } from '../../src/core/commands.js';
import { parseConfig } from '../../src/app/config.js';
import { appHarness, type Harness } from '../support/app-harness.js';

const start = appHarness();

async function planned(): Promise<Harness> {
  const h = await start();
  h.github.roles.triager = 'triage';
  await h.deliver('issues', h.github.label('gantry', 'maint'));
  return h;
}

async function command(h: Harness, body: string, sender = 'maint') {
  const { payload, comment } = h.github.addComment(body, sender);
  await h.deliver('issue_comment', payload);
  return comment;
}

const replies = (h: Harness) => h.github.botComments().slice(1);

describe('who may run each command', () => {
  it('the help names who may run every command', () => {
    const rows = COMMAND_HELP.split('\n').filter((l) => l.startsWith('| `/gantry'));
    expect(rows.length).toBeGreaterThanOrEqual(CHANGING_VERBS.size + READ_ONLY_VERBS.size - 1);
    for (const row of rows) {
      const verb = /`\/gantry (\w+)/.exec(row)![1]!;
      expect(row).toMatch(
        READ_ONLY_VERBS.has(verb as never) ? /\| Anyone \|$/ : /\| Write, maintain, admin \|$/,
      );
    }
  });

  it('status and help are answered for anyone, once per person without write access', async () => {
    const h = await planned();
    await command(h, '/gantry status', 'triager');
    await command(h, '/gantry help', 'triager');
    await command(h, '/gantry status', 'triager');
    await command(h, '/gantry deploy', 'triager'); // answered with the help: read-only too
    const answers = replies(h);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.body).toMatch(
      /^> \/gantry status\n\n\*\*Gantry goal:\*\* awaiting-approval/,
    );
    expect(answers[0]!.body).toContain(
      '_@triager: Gantry answers `status` and `help` once for each person without write access; the plan comment always shows where the goal is._',
    );
    // Another person gets their own answer; a maintainer is answered every time.
    await command(h, '/gantry help', 'passer-by');
    await command(h, '/gantry status');
    await command(h, '/gantry status');
    expect(replies(h)).toHaveLength(4);
    expect(replies(h)[1]!.body).toContain(COMMAND_HELP);
  });

  it('a command that changes the goal is refused without write access, once', async () => {
    const h = await planned();
    await command(h, '/gantry approve', 'triager');
    await command(h, '/gantry cancel', 'triager');
    expect(replies(h).map((c) => c.body)).toEqual([
      '@triager: only people with write, maintain or admin access to this repository can run Gantry commands (you have triage access). Gantry left the goal as it was.',
    ]);
    expect(h.state().status).toBe('awaiting-approval');
    expect(h.state().tasks.every((t) => t.status === 'proposed')).toBe(true);
  });
});

describe('/gantry budget is bounded by budget.maxGoalUsd', () => {
  it('by default four times budget.goalUsd: above is refused with the limit and where to raise it', async () => {
    const h = await planned();
    await command(h, '/gantry budget 999999');
    expect(replies(h).at(-1)!.body).toBe(
      '> /gantry budget 999999\n\nNothing changed: $999999.00 is above the most a command may set, $100.00 (`budget.maxGoalUsd` in `.github/gantry.yml`, by default four times `budget.goalUsd`); raise `budget.maxGoalUsd` there on the default branch to allow more.',
    );
    expect(h.state().settings.budget.goalUsd).toBe(25);
    await command(h, '/gantry budget 100');
    expect(h.state().settings.budget.goalUsd).toBe(100);
  });

  it('follows the config', async () => {
    const h = await planned();
    h.github.config = 'budget: { goalUsd: 25, maxGoalUsd: 30 }\n';
    await command(h, '/gantry budget 31');
    expect(replies(h).at(-1)!.body).toContain('above the most a command may set, $30.00');
    await command(h, '/gantry budget 30');
    expect(h.state().settings.budget.goalUsd).toBe(30);
  });

  it('is refused while the config is invalid, so no limit derived from the goal can ratchet up', async () => {
    const h = await planned();
    h.github.config = 'budget: { goalUsd: -1 }\n';
    await command(h, '/gantry budget 90');
    await command(h, '/gantry budget 300');
    expect(replies(h).at(-1)!.body).toContain(
      'Nothing changed: the budget cannot change while `.github/gantry.yml` is invalid',
    );
    expect(h.state().settings.budget.goalUsd).toBe(25);
  });

  it('a maximum below the goal budget is a config error that says so', () => {
    expect(() => parseConfig({ budget: { goalUsd: 50, maxGoalUsd: 40 } })).toThrow(
      '`budget.maxGoalUsd`: budget.maxGoalUsd must be at least budget.goalUsd',
    );
  });
});
