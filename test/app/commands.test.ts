import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/core/commands.js';
import { appHarness, type Harness } from '../support/app-harness.js';
import { tick } from '../../src/standin/ticks.js';

const start = appHarness();

async function planned(): Promise<Harness> {
  const h = await start();
  await h.deliver('issues', h.github.label('gantry'));
  return h;
}

/** Comment a command as `sender`; returns the command comment. */
async function command(h: Harness, body: string, sender = 'maint') {
  const { payload, comment } = h.github.addComment(body, sender);
  await h.deliver('issue_comment', payload);
  return comment;
}

const lastReply = (h: Harness) => h.github.botComments().at(-1)!.body;
const statuses = (h: Harness) => h.state().tasks.map((t) => t.status);
const thumbsUp = (h: Harness, id: number) =>
  h.github.reactions.some((r) => r.commentId === id && r.content === '+1');

describe('parsing commands', () => {
  it('reads verbs and arguments, and names what is wrong', () => {
    expect(parseCommand('/gantry approve')).toEqual({ verb: 'approve' });
    expect(parseCommand('/gantry approve t5, T2 t5')).toEqual({
      verb: 'approve',
      taskIds: ['T5', 'T2'],
    });
    expect(parseCommand('/gantry approve all')).toMatchObject({ verb: 'invalid' });
    expect(parseCommand('  /gantry RETRY t3 ')).toEqual({ verb: 'retry', taskId: 'T3' });
    expect(parseCommand('/gantry replan split T2\nand keep T1')).toEqual({
      verb: 'replan',
      feedback: 'split T2\nand keep T1',
    });
    expect(parseCommand('/gantry budget $40.50')).toEqual({ verb: 'budget', usd: 40.5 });
    expect(parseCommand('/gantry skip')).toMatchObject({ verb: 'invalid' });
    expect(parseCommand('/gantry budget lots')).toMatchObject({ verb: 'invalid' });
    expect(parseCommand('/gantry pause now')).toMatchObject({ verb: 'invalid' });
    expect(parseCommand('/gantry resume')).toEqual({ verb: 'resume' });
    expect(parseCommand('/gantry resume Known-Red')).toEqual({ verb: 'resume', knownRed: true });
    expect(parseCommand('/gantry resume anyway')).toEqual({
      verb: 'invalid',
      problem:
        '`resume` takes nothing, or `known-red` on a goal paused for a red default branch (got `anyway`)',
    });
    expect(parseCommand('/gantry deploy')).toEqual({
      verb: 'invalid',
      problem: '`deploy` is not a Gantry command',
    });
    expect(parseCommand('/gantryx start')).toBeUndefined();
    expect(parseCommand('please /gantry start')).toBeUndefined();
  });
});

describe('/gantry commands', () => {
  it('approve then start runs the goal, each acknowledged with a thumbs-up', async () => {
    const h = await planned();
    const approve = await command(h, '/gantry approve');
    expect(statuses(h)).toEqual(['approved', 'approved', 'approved', 'approved']);
    expect(thumbsUp(h, approve.id)).toBe(true);
    const go = await command(h, '/gantry start');
    expect(h.state().status).toBe('running');
    expect(h.state().startedBy).toBe('maint');
    expect(thumbsUp(h, go.id)).toBe(true);
    expect(h.github.issue().labels).toContain('gantry:running');
  });

  it('start without approvals says why and changes nothing', async () => {
    const h = await planned();
    const c = await command(h, '/gantry start');
    expect(h.state().status).toBe('awaiting-approval');
    expect(lastReply(h)).toBe(
      '> /gantry start\n\nNothing changed: no task is approved: tick at least one task before Start.',
    );
    expect(thumbsUp(h, c.id)).toBe(false);
  });

  it('replan makes plan v2 in a new comment and keeps v1, collapsed and without live boxes', async () => {
    const h = await planned();
    const v1 = h.plan();
    await command(h, '/gantry replan keep T1 smaller');
    const v2 = h.plan();
    expect(v2.id).not.toBe(v1.id);
    expect(h.state().planVersion).toBe(2);
    expect(h.state().status).toBe('awaiting-approval');
    expect(v1.body).toMatch(/^<!-- gantry:superseded -->\n<details><summary>Gantry plan · v1 · /);
    expect(v1.body).toContain('replaced by a new plan below');
    expect(v1.body).toContain('☐ **T1** Add greet()');
    expect(v1.body).not.toMatch(/- \[[ x]\]|gantry:state/);
    expect(h.github.issue().labels).toEqual(['gantry', 'gantry:awaiting-approval']);
  });

  it('hands the feedback and the old plan to the planner', async () => {
    const h = await planned();
    const seen: unknown[] = [];
    const inner = h.planner;
    const { ScriptedPlanner } = await import('../../src/planner/scripted-planner.js');
    const { DIAMOND } = await import('../support/app-harness.js');
    const scripted = inner ?? (await ScriptedPlanner.fromFile(DIAMOND));
    h.planner = Object.assign(Object.create(scripted) as typeof scripted, {
      plan: (req: Parameters<typeof scripted.plan>[0]) => {
        seen.push({ feedback: req.feedback, previous: req.previousPlan?.tasks.length });
        return scripted.plan(req);
      },
    });
    await command(h, '/gantry replan split T2\nplease');
    expect(seen).toEqual([{ feedback: 'split T2\nplease', previous: 4 }]);
  });

  it('pause, resume, skip, retry and budget change a running goal', async () => {
    const h = await planned();
    await command(h, '/gantry approve');
    await command(h, '/gantry start');
    await command(h, '/gantry pause');
    expect(h.state().status).toBe('paused');
    expect(h.plan().body).toContain('Paused by maint');
    await command(h, '/gantry resume');
    expect(h.state().status).toBe('running');
    await command(h, '/gantry skip T3');
    expect(statuses(h)[2]).toBe('skipped');
    await command(h, '/gantry retry T2');
    expect(lastReply(h)).toContain(
      'Nothing changed: T2 is queued; only failed tasks or tasks that need a human can be retried.',
    );
    await command(h, '/gantry budget 40');
    expect(h.state().settings.budget.goalUsd).toBe(40);
    expect(h.plan().body).toContain('of $40.00');
  });

  it('cancel cancels the goal and clears the state labels', async () => {
    const h = await planned();
    await command(h, '/gantry cancel');
    expect(h.state().status).toBe('cancelled');
    expect(h.plan().body).toContain('Cancelled by @\u2060maint.'); // notes are shown inert: named, not notified
    expect(h.github.issue().labels).toEqual(['gantry']);
  });

  it('status answers with where the goal is', async () => {
    const h = await planned();
    await command(h, '/gantry status');
    expect(lastReply(h)).toBe(
      [
        '> /gantry status',
        '',
        '**Gantry goal:** awaiting-approval · plan v1',
        '**Tasks:** 0/4 done',
        '**Budget:** $0.00 spent of $25.00',
        `Details in the [plan comment](${h.plan().htmlUrl}).`,
      ].join('\n'),
    );
  });

  it('help, and an unknown verb, answer with the help', async () => {
    const h = await planned();
    await command(h, '/gantry help');
    expect(lastReply(h)).toContain('| `/gantry replan <feedback>` |');
    await command(h, '/gantry deploy');
    expect(lastReply(h)).toContain('`deploy` is not a Gantry command.');
    expect(lastReply(h)).toContain('| `/gantry retry T3` |');
  });

  it('refuses commands from people without write access, once, and ignores bots', async () => {
    const h = await planned();
    h.github.roles.triager = 'triage';
    await command(h, '/gantry approve', 'triager');
    await command(h, '/gantry start', 'triager');
    await command(h, '/gantry approve', 'helper[bot]');
    expect(statuses(h)).toEqual(['proposed', 'proposed', 'proposed', 'proposed']);
    const refusals = h.github.botComments().filter((c) => c.body.startsWith('@triager'));
    expect(refusals.map((c) => c.body)).toEqual([
      '@triager: only people with write, maintain or admin access to this repository can run Gantry commands (you have triage access). Gantry left the goal as it was.',
    ]);
  });

  it('says how to begin when the issue has no goal', async () => {
    const h = await start();
    await command(h, '/gantry start');
    expect(lastReply(h)).toBe(
      '> /gantry start\n\nThere is no Gantry goal on this issue. Add the `gantry` label to plan one.',
    );
  });

  it('ticks after Start do not change the run', async () => {
    const h = await planned();
    await command(h, '/gantry approve');
    await command(h, '/gantry start');
    const body = h.plan().body;
    await h.deliver(
      'issue_comment',
      h.github.editComment(h.plan().id, (b) => tick(b, ['T2'], false), 'maint'),
    );
    expect(statuses(h)[1]).toBe('queued');
    expect(h.plan().body).toBe(body);
  });
});

describe('/gantry edit', () => {
  const edit = (yaml: string, id = 'T2') => `/gantry edit ${id}\n\`\`\`yaml\n${yaml}\n\`\`\``;

  it('reads the fields to change as YAML, fenced or not, and names each problem', () => {
    expect(parseCommand(edit('tier: large\ndependsOn: [T1]'))).toEqual({
      verb: 'edit',
      edit: { taskId: 'T2', tier: 'large', dependsOn: ['T1'] },
    });
    expect(
      parseCommand(
        '/gantry edit t3\nscope: [docs/]\ncriteria:\n  - kind: command\n    run: npm run docs',
      ),
    ).toEqual({
      verb: 'edit',
      edit: {
        taskId: 'T3',
        scope: ['docs/'],
        criteria: [{ kind: 'command', run: 'npm run docs' }],
      },
    });
    // A fenced block with a note after it: the note is for people.
    expect(
      parseCommand('/gantry edit T2\n```yaml\ntier: small\n```\nThanks, this is smaller.'),
    ).toEqual({ verb: 'edit', edit: { taskId: 'T2', tier: 'small' } });
    const problem = (body: string) => (parseCommand(body) as { problem: string }).problem;
    expect(problem(edit('tier: huge\nestimate: 5'))).toBe(
      'the edit of T2 is invalid: `T2.tier`: Invalid option: expected one of "small"|"medium"|"large"; `T2`: Unrecognized key: "estimate" (fields: `title`, `description`, `tier`, `dependsOn`, `scope`, `criteria`, `covers`)',
    );
    expect(problem(edit('criteria:\n  - kind: command'))).toMatch(
      /^the edit of T2 is invalid: `T2\.criteria\.0/,
    );
    expect(problem(edit('tier: [unclosed'))).toMatch(/^the YAML after `edit T2` does not parse: /);
    expect(problem(edit('- a list'))).toMatch(/must be a mapping of fields/);
    expect(problem('/gantry edit T2')).toMatch(/^`edit T2` needs the fields to change, as YAML/);
    expect(problem('/gantry edit\ntier: small')).toMatch(/^`edit` needs a task id such as `T3`/);
  });

  it('changes a task before approval, re-validated, and the task needs ticks again', async () => {
    const h = await planned();
    await command(h, '/gantry approve');
    const c = await command(
      h,
      edit(
        'tier: large\nscope: [src/greet.ts]\ncriteria:\n  - kind: grep\n    pattern: export function greet\n    in: src/greet.ts\n    present: true',
      ),
      'dev',
    );
    const s = h.state();
    expect(s.plan!.tasks[1]).toMatchObject({
      tier: 'large',
      scope: ['src/greet.ts'],
      criteria: [
        { kind: 'grep', pattern: 'export function greet', in: 'src/greet.ts', present: true },
      ],
    });
    expect(statuses(h)).toEqual(['approved', 'proposed', 'approved', 'approved']);
    expect(s.tasks.at(1)!.reason).toBe('awaiting approval: edited by dev (tier, scope, criteria)');
    expect(thumbsUp(h, c.id)).toBe(true);
  });

  it('refuses an edit that makes the plan invalid, naming the problem, and keeps the plan', async () => {
    const h = await planned();
    const before = h.state().plan;
    await command(h, edit('dependsOn: [T4]', 'T1'));
    expect(h.state().plan).toEqual(before);
    expect(lastReply(h)).toContain(
      'Nothing changed: the edit was not taken, the plan is kept as it was: T1.dependsOn: ',
    );
    expect(lastReply(h)).toMatch(/cycle/);
    await command(h, edit('tier: small', 'T9'));
    expect(lastReply(h)).toContain('Nothing changed: T9 is not in the plan.');
  });

  it('while the goal runs, edits only a task awaiting approval', async () => {
    const h = await planned();
    await command(h, '/gantry approve');
    await command(h, '/gantry start');
    await command(h, edit('tier: large', 'T1'));
    expect(lastReply(h)).toContain(
      'Nothing changed: T1 is running: while the goal runs only tasks awaiting approval can be edited.',
    );
    expect(h.state().plan!.tasks[0]!.tier).toBe('small');
  });
});

describe('a command applied again (its webhook kept by a replica that died before marking it)', () => {
  it('is carried out once: a second replan makes no second plan, a second start says nothing', async () => {
    const h = await planned();
    const replan = h.github.addComment('/gantry replan keep it small', 'maint');
    await h.deliver('issue_comment', replan.payload, 'delivery-replan');
    const plans = h.github
      .botComments()
      .filter((c) => c.body.startsWith('<!-- gantry:plan')).length;
    const version = h.state().planVersion;
    // The same comment's webhook again, under another delivery id, as a re-applied hint is.
    await h.deliver('issue_comment', replan.payload, 'delivery-replan-again');
    expect(h.github.botComments().filter((c) => c.body.startsWith('<!-- gantry:plan')).length).toBe(
      plans,
    );
    expect(h.state().planVersion).toBe(version);

    await command(h, '/gantry approve');
    const go = h.github.addComment('/gantry start', 'maint');
    await h.deliver('issue_comment', go.payload, 'delivery-start');
    const replies = h.github.botComments().length;
    await h.deliver('issue_comment', go.payload, 'delivery-start-again');
    expect(h.github.botComments()).toHaveLength(replies);
    expect(lastReply(h)).not.toContain('Nothing changed');
  });
});
