import { describe, expect, it } from 'vitest';
import type { Script } from '../../src/planner/scripted-planner.js';
import { BREAKS_TESTS, sampleAgent, SAMPLE_CI } from '../../src/standin/sample.js';
import type { AgentScript } from '../../src/standin/scripted-agent.js';
import { scenario, type Scenario } from '../support/standin-scenario.js';

const ALL = ['T1', 'T2', 'T3', 'T4', 'T5', 'Start'];

/**
 * After T1, four tasks run side by side (T4 no longer waits for T2 and T3, and T5 adds a
 * changelog), finishing in the order T3, T2, T4, T5 (the agent sleeps to say so); CI takes long
 * enough that their four candidates are in CI at once.
 */
function fourAfterT1(plan: Script): void {
  const tasks = (plan.plans[0] as { tasks: { id: string; dependsOn: string[] }[] }).tasks;
  tasks.find((t) => t.id === 'T4')!.dependsOn = ['T1'];
  tasks.push({
    ...tasks.find((t) => t.id === 'T3')!,
    id: 'T5',
    title: 'Add a changelog',
    description: 'Add a changelog.',
    dependsOn: ['T1'],
    criteria: [{ kind: 'file', path: 'CHANGELOG.md', exists: true }],
    scope: ['CHANGELOG.md'],
  } as (typeof tasks)[number]);
}

function inOrder(a: AgentScript, t2First = sampleAgent().T2![0]!): void {
  const good = sampleAgent();
  a.T3 = [{ ...good.T3![0]! }];
  a.T2 = [{ ...t2First, run: 'sleep 3' }, good.T2![0]!];
  a.T4 = [{ ...good.T4![0]!, run: 'sleep 6' }];
  a.T5 = [
    { write: { 'CHANGELOG.md': '# Changelog\n\n- greet()\n' }, say: 'Changelog.', run: 'sleep 9' },
  ];
}

const CONFIG = { maxParallel: 4, queueDepth: 4 };
/** CI slow enough for four candidates to stack up before the first verdict. */
const SLOW_CI = `sleep 20 && ${SAMPLE_CI}`;

async function run(w: Scenario): Promise<void> {
  await w.label();
  await w.settle();
  await w.tick(ALL);
  await w.until();
}

/** CI's suites on the goal branch (the App's fast-forwards push it): each on a green sha. */
function goalBranchSuites(w: Scenario) {
  return w.standIn.ci.suites.filter((s) => s.branch === w.state().branch);
}

describe('the speculative queue on the stand-in', () => {
  it('drops a red candidate in the middle of the queue and rebuilds the ones after it, which land', async () => {
    const w = await scenario({
      plan: fourAfterT1,
      agent: (a) => inOrder(a, BREAKS_TESTS),
      config: CONFIG,
      ci: SLOW_CI,
    });
    await run(w);
    const s = w.state();
    expect(s.status).toBe('done');
    expect(s.tasks.map((t) => [t.status, t.attempt])).toEqual([
      ['done', 1],
      ['done', 2],
      ['done', 1],
      ['done', 1],
      ['done', 1],
    ]);
    // T2's candidate (second after T1's) went red, and so did the two stacked on it...
    const queued = w.standIn.ci.suites.filter((x) => /^gantry\/\d+\/queue\/\d+$/.test(x.branch));
    const red = queued.filter((x) => x.conclusion === 'failure');
    expect(red.length).toBeGreaterThanOrEqual(3);
    expect(red.some((x) => x.runs[0]!.log.includes('Hi, Ada!'))).toBe(true);
    // ...while T3's, before it, was green: the queue held four candidates at once.
    expect(new Set(queued.map((x) => x.branch)).size).toBeGreaterThanOrEqual(6);
    // T4 and T5 ran once and landed anyway: rebuilt on the new tip without T2.
    expect(w.runs().filter((r) => r === 'T4/1' || r === 'T5/1')).toHaveLength(2);
    // The goal branch was never red and never forced.
    expect(goalBranchSuites(w).map((x) => x.conclusion)).not.toContain('failure');
    expect(w.standIn.git.forced).toEqual([]);
    for (const x of red)
      expect(await w.standIn.git.isAncestor(w.standIn.repo(), x.sha, s.goalHead!)).toBe(false);
    expect(w.pull()!.draft).toBe(false);
    expect(w.standIn.problems()).toEqual([]);
  });

  it('resumes after a crash while candidates are in CI, without force-pushing', async () => {
    const w = await scenario({
      plan: fourAfterT1,
      agent: (a) => inOrder(a),
      config: CONFIG,
      ci: SLOW_CI,
    });
    await w.label();
    await w.settle();
    await w.tick(ALL);
    // Kill the App once at least two candidates are in CI (settling would wait for CI to end).
    const inCi = () => w.state().queue.filter((c) => c.sha && !c.verdict).length;
    await w.settle(() => inCi() >= 2);
    expect(inCi()).toBeGreaterThanOrEqual(2);
    await w.restart();
    await w.until();
    const s = w.state();
    expect(s.status).toBe('done');
    expect(s.tasks.map((t) => [t.status, t.attempt])).toEqual([
      ['done', 1],
      ['done', 1],
      ['done', 1],
      ['done', 1],
      ['done', 1],
    ]);
    expect(w.runs()).toHaveLength(5);
    expect(goalBranchSuites(w).map((x) => x.conclusion)).not.toContain('failure');
    expect(w.standIn.git.forced).toEqual([]);
    // Every task's change is on the goal branch.
    const changelog = await w.standIn.git.readFile(w.standIn.repo(), s.branch, 'CHANGELOG.md');
    expect(changelog).toContain('greet()');
    expect(w.standIn.problems()).toEqual([]);
  });
});
