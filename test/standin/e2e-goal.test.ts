import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { BREAKS_TESTS, EDITS_README } from '../../src/standin/sample.js';
import { scenario, type Scenario } from '../support/standin-scenario.js';
import { perLandedTask } from './figures.js';

const ALL = ['T1', 'T2', 'T3', 'T4', 'Start'];

/** Label the issue, wait for the plan, tick every box and Start, and run to the end. */
async function run(w: Scenario): Promise<void> {
  await w.label();
  await w.settle();
  expect(w.state().status).toBe('awaiting-approval');
  await w.tick(ALL);
  await w.until();
}

const goalHead = (w: Scenario) => w.standIn.git.branchSha(w.standIn.repo(), w.state().branch);
const readGoal = (w: Scenario, path: string) =>
  w.standIn.git.readFile(w.standIn.repo(), w.state().branch, path);

describe('the App, the Action and the stand-in, end to end', () => {
  it('1. the diamond (T2 and T3 in parallel) runs from the label to a ready pull request whose CI is green', async () => {
    // The agent of T1 also tries to push: its job's checkout kept no credentials.
    const w = await scenario({
      agent: (a) => (a.T1![0]!.run = 'git push origin HEAD:refs/heads/pushed-by-agent'),
    });
    await run(w);
    const s = w.state();
    expect(s.status).toBe('done');
    expect(w.runs()).toEqual(expect.arrayContaining(['T1/1', 'T2/1', 'T3/1', 'T4/1']));
    expect(w.runs()).toHaveLength(4);
    // The work is on the goal branch, made by the Action's publish job from the agent's patch.
    expect(await readGoal(w, 'src/index.js')).toBe("export { greet } from './greet.js';\n");
    expect(await readGoal(w, 'README.md')).toContain('## Usage');
    expect(await w.standIn.git.branchSha(w.standIn.repo(), 'pushed-by-agent')).toBeUndefined();
    const t1 = w.standIn.actions.runs.find((r) => r.inputs.task_id === 'T1')!;
    const result = unzipSync(t1.artifacts[0]!.zip)['gantry-result.json']!;
    expect(JSON.parse(new TextDecoder().decode(result))).toMatchObject({
      status: 'success',
      summary: expect.stringMatching(/pushed-by-agent: exit 128/),
    });
    // The pull request is ready, its head is the goal branch, and CI on that exact sha is green.
    const pr = w.pull()!;
    expect(pr).toMatchObject({ draft: false, head: s.branch, base: 'main', reviewers: ['maint'] });
    expect(pr.body).toContain('all 4 tasks done');
    // Each of the issue's requirements, with the task that covers it and its commit and CI.
    expect(pr.body).toMatch(
      /\| \*\*R4\*\* greet\(\) is exported from the package \| \*\*T4\*\* ✅ done · \[[0-9a-f]{7}\]\(\S+\/commit\/[0-9a-f]{40}\) \(\[CI\]\(\S+\/checks\)\) \| ✅ met \|/,
    );
    const head = await goalHead(w);
    const suites = w.standIn.ci.suitesFor(w.standIn.repo(), head!);
    // CI ran there on its candidate's ref, and again when the goal branch was fast-forwarded.
    expect(suites.length).toBeGreaterThan(0);
    expect(suites.filter((x) => x.conclusion !== 'success')).toEqual([]);
    expect(w.standIn.problems()).toEqual([]);
    // Seen 21.5 (86 calls) while the stand-in held webhooks until every run ended; 27.3 (109)
    // since they go as their events happen, as on GitHub: T2's and T3's completions and their
    // CI verdicts no longer arrive together, so more reconciles run, each a read-only pass
    // (issue, comments, config). 17.3 (69) once reconciles of Gantry's own consequences trust what
    // they hold, the publish artifact carries the result and workflow_job says how the publish
    // job ended. 15.3 (61) with dispatch intents in the store (no run listing before a first
    // dispatch) and the goal branch's fast-forward folded with the ref deletions. Bound x1.4 of
    // that, so the cuts stay made.
    expect(perLandedTask('diamond', w)).toBeLessThanOrEqual(21);
  });

  it('3. a task that breaks the tests: CI red on its candidate, dropped, recovery, and green', async () => {
    const w = await scenario({ agent: (a) => (a.T2 = [BREAKS_TESTS, ...a.T2!]) });
    await run(w);
    const s = w.state();
    expect(s.status).toBe('done');
    expect(s.tasks.at(1)).toMatchObject({ status: 'done', attempt: 2 });
    // CI failed on the landed commit, with the failing test's output in its log...
    const red = w.standIn.ci.suites.find((x) => x.conclusion === 'failure')!;
    expect(red.runs[0]!.log).toContain('Hi, Ada!');
    // ...which is no longer on the goal branch,
    const head = (await goalHead(w))!;
    expect(await w.standIn.git.isAncestor(w.standIn.repo(), red.sha, head)).toBe(false);
    // and the retry was told what the recovery found.
    const retry = w.standIn.actions.runs.find(
      (r) => r.inputs.task_id === 'T2' && r.inputs.attempt === '2',
    )!;
    expect(retry.inputs.guidance).toContain('Hello, <name>!');
    expect(await readGoal(w, 'test/greet.test.js')).toContain("'Hello, Ada!'");
    expect(w.pull()!.draft).toBe(false);
    expect(w.standIn.problems()).toEqual([]);
    // Seen 27.5 (110 calls) landing on the goal branch itself, 34.3 (137) with the queue (the
    // candidates' refs made, fast-forwarded, deleted, and the reconciles their CI pushes start);
    // 21.5 (86) with the cuts of the diamond's figure, 19.3 (77) with its last two; bound x1.4.
    expect(perLandedTask('red CI and recovery', w)).toBeLessThanOrEqual(27);
  });

  it('4. two parallel tasks edit the same lines: a conflict, retried on the new head, then green', async () => {
    const w = await scenario({ agent: (a) => (a.T2 = [EDITS_README]) });
    await run(w);
    const s = w.state();
    expect(s.status).toBe('done');
    // Whichever of T2 and T3 landed second conflicted and ran again on the new head.
    const again = w.standIn.actions.runs.filter((r) => r.inputs.attempt === '2');
    expect(again).toHaveLength(1);
    expect(['T2', 'T3']).toContain(again[0]!.inputs.task_id);
    expect(again[0]!.inputs.guidance).toContain('README.md');
    const readme = (await readGoal(w, 'README.md'))!;
    expect(readme).toContain('## Usage');
    expect(readme).toContain('## Testing');
    expect(readme).not.toContain('<<<<<<<');
    // Four landings and the one conflict: a 409 is an answer, never retried by Octokit.
    expect(w.appRequests().filter((c) => c.endsWith('/merges'))).toHaveLength(5);
    expect(w.standIn.problems()).toEqual([]);
    // Seen 24.3 (97 calls), 19.8 (79) and 17.8 (71) with the cuts of the diamond's figure; x1.4:
    // one 409 and one more run, never a retry loop.
    expect(perLandedTask('conflict', w)).toBeLessThanOrEqual(25);
  });

  it('9. retries exhausted: a human is asked while the independent branch lands', async () => {
    const w = await scenario({
      config: { maxAttempts: 1 },
      agent: (a) => (a.T2 = [{ say: 'node --test failed: greet is not exported', exit: 1 }]),
    });
    await run(w);
    const s = w.state();
    expect(s.tasks.map((t) => t.status)).toEqual(['done', 'needs-human', 'done', 'blocked']);
    expect(s.status).toBe('partial');
    const ask = w.replies().find((c) => c.body.includes('T2 needs a human'))!;
    expect(ask.body).toContain('@maint');
    expect(ask.body).toContain('`/gantry retry T2`');
    expect(w.issue.labels).toContain('gantry:needs-human');
    expect(await readGoal(w, 'README.md')).toContain('## Usage');
    expect(w.pull()).toMatchObject({ draft: true });
    expect(w.runs()).toEqual(expect.arrayContaining(['T1/1', 'T2/1', 'T3/1']));
    expect(w.runs()).toHaveLength(3);
    expect(w.standIn.problems()).toEqual([]);
    // Seen 31.5 (63 calls), 27.5 (55) and 26.0 (52) with the cuts of the diamond's figure; x1.4:
    // planning and the failed T2 weigh on only two landed tasks.
    expect(perLandedTask('retries exhausted', w)).toBeLessThanOrEqual(36);
  });
});
