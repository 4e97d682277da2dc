import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/app/config.js';
import { dispatchInputs, DispatchError, parseRunTitle } from '../../src/app/dispatch.js';
import { renderPrBody } from '../../src/core/checklist/pr-body.js';
import { taskDefinitionHash } from '../../src/core/task-definition.js';
import { appHarness, type Harness } from '../support/app-harness.js';
import { taskResult } from '../support/task-result.js';

const start = appHarness();

/** A planned goal, all approved and started by the maintainer. */
async function started(configure?: (h: Harness) => void): Promise<Harness> {
  const h = await start();
  configure?.(h);
  await h.deliver('issues', h.github.label('gantry'));
  await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
  await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
  return h;
}

const dispatches = (h: Harness) => h.github.calls.filter((c) => c === 'dispatchWorkflow');

describe('dispatching tasks', () => {
  it('dispatches the ready task with its inputs, creates the goal branch and links the run', async () => {
    const h = await started();
    expect(h.github.runs).toHaveLength(1);
    const { inputs } = h.github.runs[0]!;
    const s = h.state();
    expect(inputs).toMatchObject({
      goal: '1',
      task_id: 'T1',
      attempt: '1',
      base_sha: h.github.head,
      backend: 'claude-code',
      command: '',
      model: 'claude-sonnet-5-5',
      max_budget_usd: '0.50',
      approver: 'maint',
      publish_partial: 'false',
    });
    expect(JSON.parse(inputs.task!)).toEqual(s.plan!.tasks[0]);
    expect(parseRunTitle(h.github.runs[0]!.displayTitle)).toEqual({
      goal: 1,
      distinctId: inputs.distinct_id,
    });
    expect(Object.keys(inputs).length).toBeLessThanOrEqual(25);
    expect(s.tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
    expect(h.github.refs.get(s.branch)).toBe(h.github.head);
    expect(h.plan().body).toContain(
      '[run](https://github.com/Codertocat/Hello-World/actions/runs/70000)',
    );
  });

  it('finds the run by its dispatch id when GitHub answers 204', async () => {
    const h = await started((x) => (x.github.runDetails = false));
    expect(dispatches(h)).toHaveLength(1);
    // The workflow_run webhook named the run.
    expect(h.state().tasks.at(0)!.runId).toBe(70_000);
  });

  it('finds it on a sweep when that webhook was lost too, without dispatching again', async () => {
    const h = await started((x) => {
      x.github.runDetails = false;
      x.github.lose.add('workflow_run');
      // And the base's CI webhook, whose reconcile would look for the run too.
      x.github.lose.add('check_suite');
    });
    expect(h.state().tasks.at(0)!.runId).toBeUndefined();
    expect(h.state().tasks.at(0)!.sentAt).toBeDefined();
    await h.sweep();
    expect(h.state().tasks.at(0)!.runId).toBe(70_000);
    expect(dispatches(h)).toHaveLength(1);
  });

  it('cancels the run of a task stopped before its run was known, found by its dispatch id', async () => {
    const h = await started((x) => {
      x.github.runDetails = false;
      x.github.lose.add('workflow_run');
      // And the base's CI webhook, whose reconcile would look for the run too.
      x.github.lose.add('check_suite');
    });
    expect(h.state().tasks.at(0)!.runId).toBeUndefined();
    await h.deliver('issue_comment', h.github.addComment('/gantry cancel', 'maint').payload);
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'cancelled', runId: 70_000 });
    expect(h.github.argsOf('cancelRun')).toEqual([[70_000]]);
    // Its cost is still counted when it reports: the reservation waits for it.
    expect(h.state().tasks.at(0)!.reservedMicros).toBeGreaterThan(0);
    expect(dispatches(h)).toHaveLength(1);
  });

  it('does not dispatch again when the dispatch went out but saving the state failed', async () => {
    const h = await start();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    // The first write of the plan comment after the dispatch fails; the job is tried again.
    h.github.failNext('updateComment', 502);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    expect(dispatches(h)).toHaveLength(1);
    expect(h.state()).toMatchObject({ status: 'running' });
    expect(h.state().tasks.at(0)!.runId).toBe(70_000);
  });

  it('the same delivery twice dispatches once', async () => {
    const h = await start();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    const go = h.github.addComment('/gantry start', 'maint').payload;
    await h.deliver('issue_comment', go, 'start-guid');
    await h.deliver('issue_comment', go, 'start-guid');
    await h.deliver('issue_comment', go, 'another-guid'); // a new delivery of the same comment
    expect(dispatches(h)).toHaveLength(1);
  });

  it('cancelling the goal cancels its runs', async () => {
    const h = await started();
    await h.deliver('issue_comment', h.github.addComment('/gantry cancel', 'maint').payload);
    expect(h.state().status).toBe('cancelled');
    expect(h.github.runs[0]).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  });

  it('says why when GitHub refuses the dispatch', async () => {
    const h = await start();
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    h.github.failNext('dispatchWorkflow', 422);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    expect(h.github.botComments().at(-1)?.body).toContain(
      'Gantry could not start T1: GitHub refused to dispatch `.github/workflows/gantry-task.yml` (422: injected 422).',
    );
  });
});

describe('the last check before a dispatch', () => {
  it('refuses to send a definition other than the approved one, and says why', async () => {
    const h = await started();
    const s = h.state();
    const config = parseConfig(undefined);
    expect(JSON.parse(dispatchInputs(s, 0, config).task!)).toEqual(s.plan!.tasks[0]);
    // Which requirements it covers stays with the App (an older Action refuses the key).
    const covering = { ...s, plan: { ...s.plan!, tasks: [{ ...s.plan!.tasks[0]!, covers: [1] }] } };
    expect(JSON.parse(dispatchInputs(covering, 0, config).task!)).toEqual(s.plan!.tasks[0]);
    // A definition changed behind the reducer's back (no event does this) never leaves.
    const spec = { ...s.plan!.tasks[0]!, criteria: [{ kind: 'command' as const, run: 'env' }] };
    const swapped = { ...s, plan: { ...s.plan!, tasks: [spec, ...s.plan!.tasks.slice(1)] } };
    expect(() => dispatchInputs(swapped, 0, config)).toThrow(
      new DispatchError(
        'its definition is not the one a person approved (it changed after the approval). Tick T1 again in the plan comment to approve it as it is now.',
      ),
    );
    const unapproved = {
      ...s,
      tasks: s.tasks.with(0, { ...s.tasks.at(0)!, approvedHash: undefined }),
    };
    expect(() => dispatchInputs(unapproved, 0, config)).toThrow(/\(it was never approved\)/);
  });

  it('sends the content rules of the config: blocked paths, and the file size limit only when set', async () => {
    const h = await started();
    const inputs = dispatchInputs(h.state(), 0, parseConfig(undefined));
    expect(inputs.blocked_paths).toBe('.github/**');
    expect(inputs).not.toHaveProperty('max_file_bytes');
    const set = parseConfig({ blockedPaths: [], maxFileBytes: 2_000_000 });
    expect(dispatchInputs(h.state(), 0, set)).toMatchObject({
      blocked_paths: '',
      max_file_bytes: '2000000',
    });
  });
});

describe("the config's rules", () => {
  it('are sent as a JSON list only when there are some, so an older task workflow keeps working', async () => {
    const h = await started();
    expect(dispatchInputs(h.state(), 0, parseConfig(undefined))).not.toHaveProperty('rules');
    const rules = ['Never edit CHANGELOG.md by hand.', 'Tests first:\nthen the code.'];
    const inputs = dispatchInputs(h.state(), 0, parseConfig({ rules }));
    expect(JSON.parse(inputs.rules!)).toEqual(rules);
  });

  it('go again without the rules when the task workflow is older than them, and the maintainer is told', async () => {
    const h = await started((x) => {
      x.github.config = 'rules:\n  - Never edit CHANGELOG.md by hand.\n';
      // GitHub's answer to an input the workflow does not declare.
      x.github.failNext('dispatchWorkflow', 422, {
        message: 'Unexpected inputs provided: ["rules"]',
      });
    });
    const sent = h.github.runs.map((r) => r.inputs);
    expect(dispatches(h)).toHaveLength(2);
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toHaveProperty('rules');
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'running', runId: 70_000 });
    expect(h.github.botComments().at(-1)?.body).toContain(
      "does not take the config's `rules` yet, so tasks run without them",
    );
  });

  it('are not dropped for another refusal', async () => {
    const h = await started((x) => {
      x.github.config = 'rules:\n  - Never edit CHANGELOG.md by hand.\n';
      x.github.failNext('dispatchWorkflow', 422, {
        message: 'Unexpected inputs provided: ["isolation"]',
      });
    });
    expect(h.github.botComments().at(-1)?.body).toContain('GitHub refused to dispatch');
    expect(h.github.runs.length).toBeGreaterThan(0);
    expect(h.github.runs.every((r) => 'rules' in r.inputs)).toBe(true);
  });

  it("count towards GitHub's limit on a dispatch's inputs, and the refusal says so", async () => {
    const h = await started();
    const s = h.state();
    // A description that fits alone and not with 50 long rules (approved as it is).
    const long = { ...s.plan!.tasks[0]!, description: 'd'.repeat(45_000) };
    const state = {
      ...s,
      plan: { ...s.plan!, tasks: [long, ...s.plan!.tasks.slice(1)] },
      tasks: s.tasks.with(0, { ...s.tasks.at(0)!, approvedHash: taskDefinitionHash(long) }),
    };
    expect(() => dispatchInputs(state, 0, parseConfig(undefined))).not.toThrow();
    const rules = Array.from({ length: 50 }, (_, i) => `${i} ${'r'.repeat(490)}`);
    expect(() => dispatchInputs(state, 0, parseConfig({ rules }))).toThrow(
      /GitHub allows 65535 for one dispatch\. Shorten its description or guidance \(`\/gantry replan`\), or the config's `rules`\.$/,
    );
  });
});

describe('containment inputs', () => {
  const unisolated = parseConfig({ agent: { isolation: 'unisolated' } });

  it('sends none of them by default, so an older task workflow keeps working', async () => {
    const h = await started();
    const inputs = dispatchInputs(h.state(), 0, parseConfig(undefined));
    expect(inputs).not.toHaveProperty('isolation');
    expect(inputs).not.toHaveProperty('allowed_hosts');
    expect(inputs).not.toHaveProperty('pricing');
    // Prices written in the config but equal to the defaults are no difference either.
    const same = parseConfig({
      llm: {
        pricing: { 'claude-opus-5-5': { input: 4, output: 20, cacheRead: 0.2, cacheWrite: 5 } },
      },
    });
    expect(dispatchInputs(h.state(), 0, same)).not.toHaveProperty('pricing');
  });

  it('sends the extra hosts one per line, and only the prices that differ from the defaults', async () => {
    const h = await started();
    const own = { input: 1, output: 2, cacheRead: 0.1, cacheWrite: 1.5 };
    const config = parseConfig({
      network: { allow: ['npm.example.com', '*.mirror.example.org:8443'] },
      llm: { pricing: { 'claude-sonnet-5-5': own, 'my-model': own } },
    });
    const inputs = dispatchInputs(h.state(), 0, config);
    expect(inputs.allowed_hosts).toBe('npm.example.com\n*.mirror.example.org:8443');
    expect(JSON.parse(inputs.pricing!)).toEqual({ 'claude-sonnet-5-5': own, 'my-model': own });
  });

  it('sends unisolated only for a goal made under that config while the config still says so', async () => {
    const contained = await started();
    // The repository opted out after this goal began: its plan comment carries no warning, so it stays contained.
    expect(dispatchInputs(contained.state(), 0, unisolated)).not.toHaveProperty('isolation');
    const h = await started((x) => (x.github.config = 'agent: { isolation: unisolated }\n'));
    expect(h.state().settings.isolation).toBe('unisolated');
    expect(h.github.runs[0]!.inputs.isolation).toBe('unisolated');
    expect(h.plan().body).toContain('**Agents run unisolated:**');
    // Tightening the config applies at once, to goals already going too.
    expect(dispatchInputs(h.state(), 0, parseConfig(undefined))).not.toHaveProperty('isolation');
  });
});

describe('finished runs', () => {
  it('reads the result artifact, settles the budget with the real cost and lands the task', async () => {
    const h = await started();
    await h.deliver('workflow_run', h.github.finishRun(70_000, taskResult('T1', 1)));
    const s = h.state();
    expect(s.tasks.at(0)).toMatchObject({
      status: 'done',
      spentMicros: 310_000,
      reservedMicros: 0,
    });
    expect(s.budget).toMatchObject({ spentMicros: 310_000, reservedMicros: 2 * 500_000 }); // T2, T3
    expect(h.github.calls).toContain('downloadArtifact');
  });

  /** The names of the artifacts the App downloaded, in order. */
  const downloaded = (h: Harness) => {
    const names = new Map(h.github.runs.flatMap((r) => r.artifacts).map((a) => [a.id, a.name]));
    return h.github.argsOf('downloadArtifact').map(([id]) => names.get(id as number));
  };

  it('reads a published task from the publish artifact alone: one download for result and record', async () => {
    const h = await started();
    await h.deliver('workflow_run', h.github.finishRun(70_000, taskResult('T1', 1)));
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'done', spentMicros: 310_000 });
    expect(downloaded(h)).toEqual(['gantry-publish-1-T1-1']);
    // The run's artifacts and jobs are listed once each (the job check of the record included).
    expect(h.github.calls.filter((c) => c === 'listRunArtifacts')).toHaveLength(1);
    expect(h.github.calls.filter((c) => c === 'listRunJobs')).toHaveLength(1);
  });

  it('reads the agent artifact too when the publish artifact has no copy of the result (an older Action)', async () => {
    const h = await started();
    await h.deliver(
      'workflow_run',
      h.github.finishRun(70_000, taskResult('T1', 1), 'success', { olderAction: true }),
    );
    expect(h.state().tasks.at(0)).toMatchObject({ status: 'done', spentMicros: 310_000 });
    // The publish artifact is downloaded once, though both reads use it.
    expect(downloaded(h)).toEqual(['gantry-publish-1-T1-1', 'gantry-1-T1-1']);
  });

  it('reads only the agent artifact of a failed agent run (no publish job ran)', async () => {
    const h = await started();
    const failed = taskResult('T1', 1, { status: 'failure', reason: 'npm test failed' });
    await h.deliver('workflow_run', h.github.finishRun(70_000, failed));
    expect(downloaded(h)).toEqual(['gantry-1-T1-1']);
  });

  const failure = (h: Harness, detail: string) => {
    const t = h.state().tasks.at(0)!;
    expect(t.status).toBe('needs-human'); // the fixture has no recovery for T1: it asks a human
    expect(h.asked.recover.map((r) => r.failure.detail)).toEqual([expect.stringContaining(detail)]);
  };

  it('a failed agent run goes to recovery with its reason', async () => {
    const h = await started();
    await h.deliver(
      'workflow_run',
      h.github.finishRun(
        70_000,
        taskResult('T1', 1, { status: 'failure', reason: 'npm test failed' }),
      ),
    );
    failure(h, 'npm test failed');
  });

  it('a failed attempt says what containment refused, to recovery and in the account', async () => {
    const h = await started();
    const containment = {
      isolated: true,
      egressRefused: [{ destination: 'registry.evil.example:443', count: 3 }],
      gatewayRefused: 2,
    };
    await h.deliver(
      'workflow_run',
      h.github.finishRun(
        70_000,
        taskResult('T1', 1, { status: 'failure', reason: 'npm test failed', containment }),
      ),
    );
    const note =
      'npm test failed; the network refused registry.evil.example:443 (3 times); the model gateway refused 2 calls';
    failure(h, note);
    expect(h.state().failures).toEqual([
      { taskId: 'T1', attempt: 1, reason: expect.stringContaining(note) },
    ]);
    expect(renderPrBody(h.state())).toContain(
      `<br>attempt 1: agent run ended failure: ${note.slice(0, 120)}`,
    );
  });

  it('a result with nothing refused adds nothing to the reason', async () => {
    const h = await started();
    const containment = { isolated: true, egressRefused: [], gatewayRefused: 0 };
    await h.deliver(
      'workflow_run',
      h.github.finishRun(
        70_000,
        taskResult('T1', 1, { status: 'failure', reason: 'npm test failed', containment }),
      ),
    );
    expect(h.state().failures?.[0]?.reason).toMatch(/npm test failed$/);
  });

  it('a run that left no result counts as a failed attempt, saying so', async () => {
    const h = await started();
    await h.deliver('workflow_run', h.github.finishRun(70_000, undefined, 'cancelled'));
    failure(h, 'the run ended cancelled: the run left no `gantry-1-T1-1` artifact');
  });

  it('an agent success whose publish job failed is not landed', async () => {
    const h = await started();
    await h.deliver('workflow_run', h.github.finishRun(70_000, taskResult('T1', 1), 'failure'));
    failure(h, 'no task branch was published');
    expect(h.github.calls.filter((c) => c === 'merge')).toEqual([]);
  });

  it('a result for another attempt is refused', async () => {
    const h = await started();
    await h.deliver('workflow_run', h.github.finishRun(70_000, taskResult('T1', 2)));
    failure(h, 'is for #1 T1 attempt 2, not this attempt');
  });

  it('a lost workflow_run.completed webhook is made up for by the sweep', async () => {
    const h = await started();
    h.github.finishRun(70_000, taskResult('T1', 1)); // its webhook never arrives
    expect(h.state().tasks.at(0)!.status).toBe('running');
    await h.sweep();
    expect(h.state().tasks.at(0)!.status).toBe('done');
  });
});
