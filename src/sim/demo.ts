/**
 * `npm run simulate`: one goal through the real core with a fake GitHub and a fake clock (hours
 * of simulated time in a blink). The scripted planner plans 5 tasks; one agent attempt fails and
 * one landing turns CI red; the output is the goal's timeline and the plan comment Gantry would
 * post at the end. `npm run demo` runs the real App and Action on the stand-in instead.
 */
import { join } from 'node:path';
import { renderPlanComment } from '../core/checklist/render.js';
import type { AuditRecord } from '../core/effects.js';
import { defaultGoalSettings } from '../core/goal.js';
import { formatUsd } from '../core/money.js';
import { ScriptedPlanner } from '../planner/scripted-planner.js';
import { simulate } from './simulate.js';

const planner = await ScriptedPlanner.fromFile(
  join(import.meta.dirname, 'fixtures/rate-limiting.yml'),
);
const { value: plan } = await planner.plan({
  issue: { number: 1, title: 'Rate limiting', body: 'Limit each client to 100 requests a minute.' },
  repo: { fullName: 'demo/api', tree: ['src/server.ts', 'package.json'] },
  rigor: 'L1',
});
const estimate = planner.estimate(plan);
console.log(
  `Planned by the ${planner.label}: ${plan.tasks.length} tasks, estimated ${formatUsd(estimate.totalUsd)} and ${estimate.criticalPathMinutes} min on the critical path.`,
);

const audit: AuditRecord[] = [];
let t4Landings = 0;
const MIN = 60_000;
const result = simulate({
  plan,
  settings: { ...defaultGoalSettings, maxParallel: 2 },
  taskMs: (id) => plan.tasks.find((t) => t.id === id)!.estimate * MIN,
  ciMs: 6 * MIN,
  agentOutcome: (id, attempt) => (id === 'T2' && attempt === 1 ? 'failure' : 'success'),
  // CI fails the first time T4 lands; recovery retries it and the second landing is green.
  ciRed: (_sha, landed) => landed.at(-1) === 'T4' && ++t4Landings === 1,
  recovery: (fx) => ({
    kind: 'retry',
    guidance: `Root cause of ${fx.taskId}: ${fx.failure.detail}`,
  }),
  costUsd: (_id, _a, max) => max * 0.4,
  observe: (_e, r) => audit.push(...r.audit),
});

const clock = (ms: number) =>
  `${String(Math.floor(ms / 3_600_000)).padStart(2, '0')}:${String(Math.floor(ms / MIN) % 60).padStart(2, '0')}`;
console.log(`Goal: ${plan.goal.title}\n`);
for (const a of audit)
  console.log(
    `${clock(a.at)}  ${a.subject.padEnd(5)} ${a.from} -> ${a.to}${a.detail ? `  (${a.detail})` : ''}`,
  );
const body = renderPlanComment(result.state, { key: 'demo-key' });
console.log(`\n--- the plan comment at the end (${body.length} characters) ---\n`);
console.log(body.split('\n').slice(0, 14).join('\n'));
console.log(
  `\nStatus: ${result.state.status}; ${result.steps} events; simulated time ${clock(result.makespanMs)}.`,
);
