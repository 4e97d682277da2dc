/**
 * `npm run bench`: performance and schedule quality of the core. Not a test: it prints figures.
 * Wall-clock numbers vary by machine; the makespan ratios are exact (simulated time).
 */
import { performance } from 'node:perf_hooks';
import { Dag } from '../src/core/dag.js';
import { parsePlanComment } from '../src/core/checklist/parse.js';
import { renderPlanComment } from '../src/core/checklist/render.js';
import { defaultGoalSettings, initGoal, type GoalSettings } from '../src/core/goal.js';
import { step } from '../src/core/step.js';
import type { Plan } from '../src/core/plan.js';
import { simulate } from '../src/sim/simulate.js';
import { randomPlan } from './random-plan.js';
import { runDemo } from '../src/standin/demo-run.js';
import { storeRuns } from './store-ops.js';
import { wideAgent, widePlan } from '../src/standin/wide-sample.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const MIN = 60_000;
const fmt = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(title: string, head: string[], rows: (string | number)[][]): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

function settings(over: Partial<GoalSettings>): GoalSettings {
  return {
    ...defaultGoalSettings,
    budget: { ...defaultGoalSettings.budget, goalUsd: 1e9 },
    ...over,
  };
}

// 1. The reducer alone. The simulator (fake runner, fake GitHub) makes each goal's event sequence
//    first; then only `step` is timed, replaying that sequence from the simulator's initial state.
//    If a step is O(touched), time per event stays flat as the goal grows.
{
  const sizes = [2_500, 5_000, 10_000];
  const replays = 5;
  const rssBase = process.resourceUsage().maxRSS;
  const rows: (string | number)[][] = [];
  let largest = { tasks: 0, events: 0, ms: 0, simMs: 0, peakRss: 0 };
  for (const n of sizes) {
    const plan = randomPlan(n, 1, { window: 200 });
    const goal = settings({ maxParallel: 32, landingBatch: 8 });
    const t0 = performance.now();
    const sim = simulate({
      plan,
      settings: goal,
      taskMs: (id) => (10 + (Number(id.slice(1)) % 30)) * MIN,
      ciMs: 5 * MIN,
    });
    const simMs = performance.now() - t0;
    // maxRSS is the process's high-water mark: the sizes run smallest first, so it is the largest's.
    const peakRss = process.resourceUsage().maxRSS;
    const times: number[] = [];
    for (let k = 0; k < replays; k++) {
      let s = initGoal({
        repo: 'sim/repo',
        issue: 1,
        title: plan.goal.title,
        at: 0,
        settings: goal,
      });
      const t1 = performance.now();
      for (const e of sim.events) s = step(s, e).state;
      times.push(performance.now() - t1);
      if (!isDeepStrictEqual(s, sim.state))
        throw new Error(
          `replaying the simulated events of ${n} tasks did not reach the simulated state: the bench's initial state no longer matches simulate()'s`,
        );
    }
    times.sort((a, b) => a - b);
    const best = times[0]!;
    const median = times[Math.floor(times.length / 2)]!;
    const events = sim.events.length;
    rows.push([
      n,
      events,
      sim.state.status,
      `${fmt(best / 1000, 3)} s (median ${fmt(median / 1000, 3)} s)`,
      fmt(events / (best / 1000), 0),
      fmt((best * 1000) / events, 2),
    ]);
    largest = { tasks: n, events, ms: best, simMs, peakRss };
  }
  table(
    `Reducer alone: replaying a simulated goal through \`step\` (random DAG, 32 parallel, batches of 8; best of ${replays})`,
    ['tasks', 'events', 'status', 'total time', 'events/s', 'µs/event'],
    rows,
  );
  const rate = largest.events / (largest.ms / 1000);
  const met = largest.ms < 500 && rate >= 100_000;
  console.log(
    `\nTarget for ${largest.tasks.toLocaleString('en-US')} tasks: under 0.5 s and at least 100,000 events/s: ${met ? 'met' : 'NOT met'} (${fmt(largest.ms / 1000, 3)} s, ${fmt(rate, 0)} events/s).`,
  );
  console.log(
    `Simulator (harness included) on ${largest.tasks.toLocaleString('en-US')} tasks: ${fmt(largest.simMs / 1000)} s; process peak RSS ${fmt(largest.peakRss / 1024, 0)} MB (${fmt(rssBase / 1024, 0)} MB before the first simulation). Load average ${loadavg()
      .map((l) => fmt(l))
      .join(', ')} on ${availableParallelism()} cores.`,
  );
}

// 2. Render and parse of a 200-task plan comment.
{
  const plan = randomPlan(200, 2, { window: 20 });
  plan.tasks.forEach(
    (t) =>
      (t.description = `Implement ${t.title.toLowerCase()}: change the module, add tests, update the docs. Keep the public API stable.`),
  );
  let s = initGoal({ repo: 'octo/repo', issue: 42, title: plan.goal.title, at: 0 });
  s = step(s, { type: 'plan.proposed', at: 1, plan, version: 1 }).state;
  s = step(s, {
    type: 'approvals.changed',
    planVersion: 1,
    at: 2,
    actor: 'maint',
    changes: plan.tasks.map((t) => ({ taskId: t.id, approved: true })),
  }).state;
  const N = 50;
  let body = '';
  let t0 = performance.now();
  for (let k = 0; k < N; k++) body = renderPlanComment(s, { key: 'bench' });
  const render = (performance.now() - t0) / N;
  t0 = performance.now();
  for (let k = 0; k < N; k++) parsePlanComment(body, 'bench');
  const parse = (performance.now() - t0) / N;
  const state = /<!-- gantry:state[^>]*-->/.exec(body)![0].length;
  table(
    'Plan comment of 200 tasks',
    ['render', 'parse', 'comment size', 'of which signed state', 'GitHub limit'],
    [
      [
        `${fmt(render)} ms`,
        `${fmt(parse)} ms`,
        `${body.length.toLocaleString('en-US')} chars`,
        `${state.toLocaleString('en-US')} chars`,
        '65,536',
      ],
    ],
  );
}

// 3. Makespan: simulated wall time over the ideal lower bound.
{
  const ciMin = 8;
  const parallel = 4;
  const sizes = [10, 30, 60];
  const seeds = Array.from({ length: 10 }, (_, k) => 100 + k);
  const rows: (string | number)[][] = [];
  // Serialized landing (queueDepth 1: each landing waits for its own CI), in batches or not, and
  // the speculative queue (candidates stacked and judged at once, the default depth).
  const variants = [
    ['s1', 1, 1],
    ['s4', 4, 1],
    ['q4', 1, 4],
  ] as const;
  const unlimited: number[] = [];
  for (const n of sizes) {
    const ratios: Record<string, number[]> = { naive: [], s1: [], s4: [], q4: [], q4w: [] };
    let bound = 0;
    for (const seed of seeds) {
      const plan = randomPlan(n, seed);
      const ideal = idealBound(plan, ciMin);
      bound += ideal;
      const naive = plan.tasks.reduce((sum, t) => sum + t.estimate + ciMin, 0);
      ratios.naive!.push(naive / ideal);
      // No schedule on `parallel` agents beats the agent time divided among them.
      const work = plan.tasks.reduce((sum, t) => sum + t.estimate, 0) / parallel;
      for (const [key, batch, depth] of variants) {
        const r = simulate({
          plan,
          settings: settings({ maxParallel: parallel, landingBatch: batch, queueDepth: depth }),
          taskMs: (id) => plan.tasks.find((t) => t.id === id)!.estimate * MIN,
          ciMs: ciMin * MIN,
        });
        if (r.state.status !== 'done')
          throw new Error(`simulation of ${n} tasks (seed ${seed}) ended ${r.state.status}`);
        ratios[key]!.push(r.makespanMs / MIN / ideal);
        if (key === 'q4') ratios.q4w!.push(r.makespanMs / MIN / Math.max(ideal, work));
      }
      // Unlimited agents: what the queue itself adds to the ideal bound.
      if (n === sizes.at(-1)) {
        const free = simulate({
          plan,
          settings: settings({ maxParallel: 1000, landingBatch: 1, queueDepth: 4 }),
          taskMs: (id) => plan.tasks.find((t) => t.id === id)!.estimate * MIN,
          ciMs: ciMin * MIN,
        });
        unlimited.push(free.makespanMs / MIN / ideal);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    rows.push([
      n,
      fmt(bound / seeds.length, 0),
      ...(['naive', 's1', 's4', 'q4', 'q4w'] as const).map(
        (k) => `${fmt(mean(ratios[k]!))} (max ${fmt(Math.max(...ratios[k]!))})`,
      ),
    ]);
  }
  table(
    `Makespan ratio: simulated goal time / ideal bound (tasks 10-40 min, CI ${ciMin} min, ${parallel} parallel; mean of ${seeds.length} DAGs)`,
    [
      'tasks',
      'ideal bound (min)',
      'naive sequential',
      'serialized, 1 at a time',
      'serialized, batches of 4',
      'speculative queue (depth 4)',
      `speculative queue / max(bound, agent time / ${parallel})`,
    ],
    rows,
  );
  console.log(
    `\nIdeal bound: the heaviest dependency chain, each task counting its agent time plus one CI run (infinite parallelism, instant landing). Serialized landing (\`queueDepth: 1\`) costs one CI run on the goal branch per landing: with n tasks that alone is n x ${ciMin} min; batching lands up to k ready tasks before one CI run judges them all (a red batch lands its members again alone), about n/k runs. The speculative queue (the default, \`queueDepth: 4\`) merges each finished task onto the last candidate and runs CI on every candidate at once, so a landing waits for its own CI only. What remains above the bound is the ${parallel}-agent limit, not the queue: with unlimited agents the queue makes ${fmt(Math.max(...unlimited))} x the bound at most on the ${sizes.at(-1)}-task DAGs, and the last column divides by the larger of the bound and the agent time shared among ${parallel} agents (a bound no schedule beats). Both dispatch and landing take the critical path first: of the ready tasks, the one with the heaviest chain of estimates from it to the end; of the finished ones, the one with the heaviest chain after it (queue order among equals).`,
  );
}

// 4. End to end on the stand-in: the demo's goal, with the real App, Action, git and CI.
{
  const runs = 3;
  const rows: (string | number)[][] = [];
  const handling: number[] = [];
  for (let k = 0; k < runs; k++) {
    const out = mkdtempSync(join(tmpdir(), 'gantry-bench-'));
    const r = await runDemo({ out });
    if (r.status !== 'done' || r.problems.length)
      throw new Error(`the demo goal ended ${r.status}: ${r.problems.join('; ')}`);
    handling.push(...r.webhookMs);
    rows.push([
      k + 1,
      `${r.landed} / ${r.taskRuns} / ${r.ciRuns}`,
      fmt(r.appCalls / r.landed, 1),
      `${fmt(r.wallMs / 1000, 1)} s`,
      `${fmt(r.goalMs / 1000, 1)} s`,
      `${fmt(r.critical.ms / 1000, 1)} s (${r.critical.tasks.join(' → ')})`,
      fmt(r.goalMs / r.critical.ms),
      `${fmt(r.runMs / 1000, 1)} s + ${fmt(r.ciMs / 1000, 1)} s`,
    ]);
  }
  table(
    'End to end on the stand-in (`npm run demo`: 4 tasks, one red CI and a retry)',
    [
      'run',
      'landed / task runs / CI runs',
      'App calls per landed task',
      'wall time',
      'label to end',
      'critical path: task runs + CI',
      'label to end / critical path (target ≤ 1.2)',
      'task runs + CI, added up',
    ],
    rows,
  );
  handling.sort((a, b) => a - b);
  const pct = (p: number) =>
    handling[Math.min(handling.length - 1, Math.floor(p * handling.length))]!;
  console.log(
    `\nWebhook handling (the App's answer to a delivery, ${handling.length} deliveries): median ${fmt(pct(0.5), 1)} ms, p99 ${fmt(pct(0.99), 1)} ms. The wall time includes starting the stand-in and setting up the repository (about 5 s); "label to end" is the goal's own time, from the maintainer's label to the ready pull request (planning and the ticks included). The critical path is the longest chain of task runs and the CI of their candidates along the plan's DAG, as they happened; what the goal takes beyond it is planning, approval and the App's own work, webhooks and git between runs.`,
  );
}

// 4b. End to end on the stand-in, a goal of 12 tasks (`widePlan`): the App's calls as GitHub
//     counts them (304 answers apart), its content-creating requests, and the wall time against
//     the critical path of task runs and CI.
{
  const n = 12;
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-wide-'));
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(widePlan(n)));
  writeFileSync(join(dir, 'agent.json'), JSON.stringify(wideAgent(n)));
  let counted: { calls: string[]; notModified: number; peak: number } | undefined;
  const r = await runDemo({
    out: join(dir, 'out'),
    plan: join(dir, 'plan.json'),
    agent: join(dir, 'agent.json'),
    onClose: (standIn) =>
      (counted = {
        calls: standIn.appCalls(),
        notModified: standIn.server.notModified.length,
        peak: standIn.server.secondary.peakPerMinute,
      }),
  });
  if (r.status !== 'done' || r.problems.length || !counted)
    throw new Error(`the ${n}-task goal ended ${r.status}: ${r.problems.join('; ')}`);
  const { calls } = counted;
  const creating = calls.filter((c) => /^(POST|PUT) /.test(c) && !c.startsWith('POST /app/'));
  const commentWrites = calls.filter(
    (c) =>
      /^PATCH \/repos\/[^/]+\/[^/]+\/issues\/comments\//.test(c) ||
      /^POST \/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(c),
  );
  const per = (k: number) => fmt(k / r.landed, 2);
  table(
    `End to end on the stand-in: a goal of ${n} tasks (T1, then ${n - 2} in parallel as maxParallel allows, then one; all green)`,
    [
      'landed / task runs / CI runs',
      'rate-limited calls per landed task (target ≤ 8)',
      'answered 304 (not counted)',
      'POST/PUT per landed task',
      'comment writes per landed task (target ≤ 1)',
      'peak content-creating a minute (limit 80)',
      'label to end / critical path (target ≤ 1.2)',
    ],
    [
      [
        `${r.landed} / ${r.taskRuns} / ${r.ciRuns}`,
        per(calls.length),
        counted.notModified,
        per(creating.length),
        per(commentWrites.length),
        counted.peak,
        `${fmt(r.goalMs / r.critical.ms)} (${fmt(r.goalMs / 1000, 1)} s / ${fmt(r.critical.ms / 1000, 1)} s)`,
      ],
    ],
  );
  console.log(
    `\nComment writes: the plan comment posted and edited, and replies. POST/PUT is what the stand-in counts against the secondary limits (80 a minute, 500 an hour); the App paces POST, PUT and PATCH under them (\`WritePacer\`), so it is never refused. The label-to-end time includes planning and the maintainer's ticks; the critical path is task runs and CI only, as if every task could run at once, while the ${n - 2} middle tasks here run 3 at a time (\`maxParallel: 3\`): task runs added up over 3 agents is ${fmt(r.runMs / 3 / 1000, 1)} s, a bound the path does not show.`,
  );
}

// 5. The App's store under the same goal: every call to its database counted and timed, on
//    PGlite in memory (the default's engine) and on a PostgreSQL server of its own (DATABASE_URL).
{
  const notes: string[] = [];
  const runs = await storeRuns((line) => notes.push(line));
  const ms = (n: number) => (n < 10 ? `${fmt(n, 3)} ms` : `${fmt(n, 1)} ms`);
  const rows = runs.map((r) => {
    const times = r.ops.map((o) => o.ms).sort((a, b) => a - b);
    const total = times.reduce((a, b) => a + b, 0);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
    const statements = r.ops.reduce((n, o) => n + o.statements, 0);
    const transactions = r.ops.filter((o) => o.label.startsWith('transaction')).length;
    return [
      r.backend,
      `${r.landed} / ${r.taskRuns} / ${r.ciRuns}`,
      `${r.ops.length} (${transactions} transactions)`,
      fmt(r.ops.length / r.landed, 1),
      fmt(statements / r.landed, 1),
      ms(total),
      ms(total / r.ops.length),
      `${ms(pct(0.5))} / ${ms(pct(0.99))} / ${ms(times.at(-1)!)}`,
      `${fmt(r.wallMs / 1000, 1)} s`,
      `${fmt((100 * total) / r.wallMs, 2)} %`,
    ];
  });
  table(
    "The App's store during the demo's goal (4 tasks, one red CI and a retry; migrations at open not counted)",
    [
      'backend',
      'landed / task runs / CI runs',
      'store operations',
      'operations per landed task',
      'SQL statements per landed task',
      'total time',
      'mean per operation',
      'median / p99 / max',
      'goal wall time',
      'store time / wall',
    ],
    rows,
  );
  const labels = [...new Set(runs.flatMap((r) => r.ops.map((o) => o.label)))].sort();
  table(
    'Store operations by kind (count, mean time)',
    ['operation', ...runs.map((r) => r.backend)],
    labels.map((l) => [
      l,
      ...runs.map((r) => {
        const of = r.ops.filter((o) => o.label === l);
        return of.length
          ? `${of.length} x ${ms(of.reduce((n, o) => n + o.ms, 0) / of.length)}`
          : '-';
      }),
    ]),
  );
  console.log(
    `\nAn operation is one call of the store to its database (a statement, or a transaction with its statements, timed whole from the App's side, queueing included). Times overlap when webhooks are handled at once, so "store time / wall" is an upper bound on the goal's time spent in the store. Load average ${loadavg()
      .map((l) => fmt(l))
      .join(
        ', ',
      )} on ${availableParallelism()} cores.${notes.length ? `\n${notes.join('\n')}` : ''}`,
  );
}

/** Heaviest chain, each task weighing its agent time plus one CI run. */
function idealBound(plan: Plan, ciMin: number): number {
  const dag = Dag.of(plan.tasks);
  return dag.criticalPath((i) => plan.tasks[i]!.estimate + ciMin).length;
}
