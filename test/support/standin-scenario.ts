import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { GoalState } from '../../src/core/goal.js';
import { ScriptedPlanner, type Script } from '../../src/planner/scripted-planner.js';
import { GoalView } from '../../src/standin/goal-view.js';
import { GantryStore } from '../../src/app/store/store.js';
import { runApp, type RunningApp } from '../../src/standin/run-app.js';
import {
  GANTRY_DIR,
  SAMPLE_CI,
  SAMPLE_ISSUE,
  SAMPLE_REPO,
  sampleAgent,
  sampleFiles,
  samplePlan,
  scriptedAgentCommand,
} from '../../src/standin/sample.js';
import type { AgentScript } from '../../src/standin/scripted-agent.js';
import { StandIn } from '../../src/standin/stand-in.js';
import type { StoredRepo } from '../../src/standin/store.js';
import type { Chaos } from '../../src/standin/webhook-sender.js';
import { tick } from '../../src/standin/ticks.js';

const KEY = 'k'.repeat(32);
const [OWNER, REPO] = SAMPLE_REPO.split('/') as [string, string];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A fresh stand-in with one repository, closed after the test. */
export async function standInWith(
  fullName: string,
  files: Record<string, string>,
): Promise<{ standIn: StandIn; repo: StoredRepo }> {
  const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
  closers.push(() => standIn.close());
  const repo = await standIn.addRepo(fullName, files, { roles: { maint: 'maintain' } });
  return { standIn, repo };
}

export interface ScenarioOptions {
  /** Change what the scripted agent does. */
  agent?: (script: AgentScript) => void;
  /** More of `.github/gantry.yml`. */
  config?: Record<string, unknown>;
  chaos?: Chaos;
  seed?: number;
  /** Change the scripted planner's plan. */
  plan?: (plan: Script) => void;
  /** The repository's secrets (`secrets.X` in its workflows). */
  secrets?: Record<string, string>;
  /** The repository's CI command (default: the sample's). */
  ci?: string;
}

/**
 * The sample repository on a fresh stand-in, the unmodified App in a real Probot against it, the
 * task workflow running the Action's committed bundle with the scripted agent, and the people of
 * the scenarios: `maint` (maintain), `tri` (triage), `reader` (read), `outsider` (none).
 */
export async function scenario(o: ScenarioOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-scenario-'));
  const agent = sampleAgent();
  o.agent?.(agent);
  writeFileSync(join(dir, 'agent.json'), JSON.stringify(agent));
  const command = scriptedAgentCommand(join(dir, 'agent.json'));
  const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
  closers.push(() => standIn.close());
  const repo = await standIn.addRepo(SAMPLE_REPO, sampleFiles(command, o.config), {
    roles: { maint: 'maintain', tri: 'triage', reader: 'read' },
    ci: o.ci ?? SAMPLE_CI,
    ...(o.secrets ? { secrets: o.secrets } : {}),
  });
  const issue = standIn.store.addIssue(repo, 'maint', SAMPLE_ISSUE.title, SAMPLE_ISSUE.body);
  const plan = samplePlan();
  o.plan?.(plan);
  const planner = new ScriptedPlanner(plan, 'sample plan');
  // The App's store (PGlite, as by default), kept across restarts as its data directory would be.
  const store = await GantryStore.open({});
  closers.push(() => store.close());
  const start = async () => {
    const running = await runApp(standIn, {
      planner: () => planner,
      stateKey: KEY,
      store,
      chaos: o.chaos,
      seed: o.seed,
    });
    closers.push(() => running.close());
    return running;
  };
  let app: RunningApp = await start();
  const maint = standIn.as('maint');
  const where = { owner: OWNER, repo: REPO, issue_number: issue.number };
  const view = new GoalView(standIn, repo, issue, KEY);
  const planComment = () => view.planComment();
  const over = () => view.over();

  const w = {
    standIn,
    repo,
    issue,
    maint,
    where,
    /** The scripted planner the App asks (spy on it to see what it is given). */
    planner,
    /** Another issue of the sample repository, with its goal as the App writes it. */
    another: (title: string, body: string) => {
      const other = standIn.store.addIssue(repo, 'maint', title, body);
      return {
        issue: other,
        where: { ...where, issue_number: other.number },
        view: new GoalView(standIn, repo, other, KEY),
      };
    },
    get app() {
      return app;
    },
    settle: (stop?: () => boolean) => app.settle(stop),
    /** Settle and sweep until `done` holds (default: the goal is over). */
    until: async (done: () => boolean = over, rounds = 30) => {
      try {
        await app.until(done, rounds);
      } catch (e) {
        throw new Error(`${(e as Error).message}; runs: ${w.runs().join(' ')}`, { cause: e });
      }
    },
    planComment,
    state(): GoalState {
      const s = view.state();
      if (!s) throw new Error('no plan comment yet');
      return s;
    },
    label: () => maint.rest.issues.addLabels({ ...where, labels: ['gantry'] }),
    /** The maintainer ticks boxes in the plan comment, as in GitHub's UI. */
    tick: async (ids: string[]) => {
      const c = planComment()!;
      await maint.rest.issues.updateComment({
        ...where,
        comment_id: c.id,
        body: tick(c.body, ids),
      });
    },
    comment: (body: string, as = maint) => as.rest.issues.createComment({ ...where, body }),
    /** Kill the App (no goodbye) and start a new one with an empty memory. */
    async restart(): Promise<void> {
      await app.close();
      app = await start();
    },
    /** Task runs, as `T2/1` in order of dispatch. */
    runs: () => standIn.actions.runs.map((r) => `${r.inputs.task_id}/${r.inputs.attempt}`),
    pull: () => [...repo.pulls.values()][0],
    /** Requests the App made (REST and GraphQL), as `METHOD /path`. */
    appRequests: () => standIn.appCalls(),
    /** Comments by the App other than the plan comment. */
    replies: () => view.replies(),
  };
  return w;
}

export type Scenario = Awaited<ReturnType<typeof scenario>>;
