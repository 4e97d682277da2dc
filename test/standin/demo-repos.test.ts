import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DemoError, runDemo } from '../../src/standin/demo-run.js';
import { sh } from '../support/git-repo.js';
import { sumRepo, task, writePlan } from './demo-script.js';

const commit = (dir: string, message: string) =>
  sh(dir, '-c', 'user.name=Test', '-c', 'user.email=t@example.com', 'commit', '-q', '-am', message);

/** The DemoError runDemo rejects with. */
async function refusal(p: Promise<unknown>): Promise<DemoError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DemoError);
  return e as DemoError;
}

describe('npm run demo on the repositories users have', () => {
  it('runs on a repository in detached HEAD, from the checked-out commit', async () => {
    const r0 = sumRepo();
    writeFileSync(join(r0.dir, 'README.md'), 'detached work\n');
    sh(r0.dir, 'add', 'README.md');
    sh(r0.dir, 'checkout', '-q', '--detach');
    commit(r0.dir, 'only on the detached HEAD');
    const head = sh(r0.dir, 'rev-parse', 'HEAD').trim();
    const lines: string[] = [];
    const r = await runDemo({
      repo: r0.dir,
      goal: 'Fix sum',
      plan: r0.plan,
      agent: r0.agent,
      out: join(r0.scripts, 'out'),
      // The sum test fails on the base: this goal is what fixes it.
      knownRed: true,
      print: (l) => lines.push(l),
    });
    expect(r).toMatchObject({ status: 'done', landed: 1, problems: [] });
    expect(lines.join('\n')).toContain(
      `at ${head.slice(0, 7)}, detached HEAD (the copy's default branch: detached-${head.slice(0, 7)})`,
    );
    expect(r.kept?.prerequisite).toBe(head);
    expect(sh(r0.dir, 'rev-parse', 'HEAD').trim()).toBe(head);
  });

  it("adds the repository's own trigger label, which the App plans on", async () => {
    const r0 = sumRepo({ '.github/gantry.yml': 'label: ai-please\n' });
    const r = await runDemo({
      repo: r0.dir,
      goal: 'Fix sum',
      plan: r0.plan,
      agent: r0.agent,
      out: join(r0.scripts, 'out'),
      knownRed: true,
    });
    expect(r).toMatchObject({ status: 'done', landed: 1, problems: [] });
    expect(r.timeline.join('\n')).toMatch(/maint +labels the issue `ai-please`/);
  });

  it('stops where the App pauses a goal on a red default branch, blaming no task', async () => {
    const r0 = sumRepo();
    const lines: string[] = [];
    const r = await runDemo({
      repo: r0.dir,
      goal: 'Fix sum',
      plan: r0.plan,
      agent: r0.agent,
      out: join(r0.scripts, 'out'),
      print: (l) => lines.push(l),
    });
    const text = lines.join('\n');
    expect(r).toMatchObject({ status: 'paused', landed: 0, problems: [] });
    // The task ran and waits to land; no attempt failed for the base's red.
    expect(r.runs.map((x) => [x.task, x.attempt, x.outcome])).toEqual([['T1', 1, 'success']]);
    expect(text).toContain('Gantry paused this goal: the default branch is red.');
    expect(text).toMatch(/CI failed on [0-9a-f]{7}, the head of `[\w/-]+` this goal started from/);
    expect(text).toContain('- test');
    expect(text).toContain('`/gantry resume known-red`');
    expect(text).toContain('run the demo again with --known-red');
    expect(r.pull).toBeUndefined();
  });

  it("shows the App's config-error comment for an invalid .github/gantry.yml, not a plan", async () => {
    const typo = sumRepo({ '.github/gantry.yml': 'maxParalel: 3\n' });
    const e = await refusal(
      runDemo({
        repo: typo.dir,
        goal: 'Fix sum',
        plan: typo.plan,
        agent: typo.agent,
        out: join(typo.scripts, 'out'),
      }),
    );
    expect(e.message).toContain("The repository's .github/gantry.yml is invalid");
    expect(e.message).toContain(
      '**Gantry cannot work on this issue: `.github/gantry.yml` is invalid.**',
    );
    expect(e.message).toContain('maxParalel');
    expect(e.message).toContain('Fix .github/gantry.yml in your repository, commit it');
    expect(e.usage).toBe(false);
    expect(existsSync(join(typo.scripts, 'out'))).toBe(false);

    // Not YAML at all: the App says so, as it would on GitHub.
    const broken = sumRepo({ '.github/gantry.yml': 'rules: [unclosed\n' });
    const e2 = await refusal(
      runDemo({ repo: broken.dir, goal: 'Fix sum', plan: broken.plan, agent: broken.agent }),
    );
    expect(e2.message).toContain('Gantry cannot work on this issue');
    expect(e2.message).toContain('`(file)`');
  });

  it('reports every problem of the plan and agent files at once: schema and DAG together', async () => {
    const r0 = sumRepo();
    const plan = writePlan(r0.scripts, [
      task('T1', ['T2'], { tier: 'huge' }), // a schema error…
      task('T2', ['T1']), // …and a cycle
      task('T3', ['T9']), // an unknown dependency
    ]);
    const agent = join(r0.scripts, 'bad-agent.json');
    writeFileSync(agent, JSON.stringify({ T1: [{ writes: {} }] }));
    const e = await refusal(
      runDemo({ repo: r0.dir, goal: 'Fix sum', plan, agent, cwd: r0.scripts }),
    );
    expect(e.message).toMatch(/^--plan .*plan\.yml is invalid \(\d+ problems\):/);
    expect(e.message).toMatch(/plans\.0\.tasks\.0\.tier: T1: /);
    expect(e.message).toContain('dependency cycle: T1 -> T2 -> T1');
    expect(e.message).toContain('T3 depends on T9, which is not in the plan');
    expect(e.message).toMatch(/--agent .*bad-agent\.json is invalid/);
    expect(e.message).toContain('T1.0: Unrecognized key: "writes"');
    expect(e.message).toContain('nothing for T2, a task of the plan');
  });

  it('says exactly which file or repository is missing, from the caller directory', async () => {
    const r0 = sumRepo();
    const base = { goal: 'Fix sum', cwd: r0.scripts };
    const noPlan = await refusal(
      runDemo({ ...base, repo: r0.dir, plan: 'nope.yml', agent: r0.agent }),
    );
    expect(noPlan.message).toBe(`--plan: no such file: ${join(r0.scripts, 'nope.yml')}`);
    const noAgent = await refusal(
      runDemo({ ...base, repo: r0.dir, plan: r0.plan, agent: 'nope.json' }),
    );
    expect(noAgent.message).toBe(`--agent: no such file: ${join(r0.scripts, 'nope.json')}`);
    const scripted = { plan: r0.plan, agent: r0.agent };
    const missing = await refusal(runDemo({ ...base, ...scripted, repo: 'gone' }));
    expect(missing.message).toBe(`--repo: ${join(r0.scripts, 'gone')} does not exist.`);
    const plain = mkdtempSync(join(tmpdir(), 'demo-plain-'));
    const notGit = await refusal(runDemo({ ...base, ...scripted, repo: '.', cwd: plain }));
    expect(notGit.message).toBe(`--repo: ${plain} is not a git repository (no .git there).`);
    const file = await refusal(runDemo({ ...base, ...scripted, repo: r0.dir, out: 'plan.yml' }));
    expect(file.message).toBe(
      `--out: ${join(r0.scripts, 'plan.yml')} is a file: give a directory (made if missing).`,
    );
    const inside = await refusal(runDemo({ ...base, ...scripted, repo: 'test', cwd: r0.dir }));
    expect(inside.message).toBe(
      `--repo: ${join(r0.dir, 'test')} is inside the git repository ${r0.dir}, not its top: give --repo ${r0.dir}.`,
    );
  });
});
