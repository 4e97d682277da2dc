import { join } from 'node:path';
import nock from 'nock';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import { afterEach, beforeEach, expect } from 'vitest';
import { gantryApp, type GantryApp } from '../../src/app/app.js';
import type { GantryStore } from '../../src/app/store/store.js';
import { parsePlanComment } from '../../src/core/checklist/parse.js';
import { isPlanCommentBody } from '../../src/core/checklist/superseded.js';
import type { GoalState } from '../../src/core/goal.js';
import type { Planner, RecoveryRequest, ReviewRequest } from '../../src/planner/planner.js';
import { ScriptedPlanner, type Script } from '../../src/planner/scripted-planner.js';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { OpenApi } from '../../src/standin/openapi.js';
import { GANTRY_APP_ID, MemoryGitHub, type MemoryComment } from './memory-github.js';
import { testProbot } from './probot.js';

export const KEY = 'state-key';
export const DIAMOND = join(import.meta.dirname, '../fixtures/planner/diamond.yml');
export const NOW = 1_700_000_000_000;

export interface Harness {
  /** GitHub in memory, behind the App's port. */
  github: MemoryGitHub;
  app: GantryApp;
  probot: Probot;
  /** Deliver a webhook and wait until the goal work it caused is done. */
  deliver(name: string, payload: object, id?: string): Promise<void>;
  /** A start-up or timer sweep, and everything it causes. */
  sweep(): Promise<void>;
  /** Stop the app and start a new one (nothing kept in memory), as a deploy or crash does. */
  restart(): Promise<void>;
  /** Deliver without waiting (to test coalescing). */
  send(name: string, payload: object, id?: string): Promise<void>;
  /** Gantry's live plan comment on issue 1. */
  plan(): MemoryComment;
  /** The signed state in the live plan comment (the test fails when it does not verify). */
  state(): GoalState;
  errors: unknown[];
  /** Webhook payloads GitHub's OpenAPI description refuses. */
  invalid: string[];
  /** Replace the planner for the next plans (defaults to the diamond fixture). */
  planner?: Planner;
  /** What the app asked the planner to recover and review, in order. */
  asked: { recover: RecoveryRequest[]; review: ReviewRequest[] };
  /** The app's clock (starts at NOW); tests move it forward. */
  clock: { now: number };
}

/** The diamond fixture's script, for tests that change part of it. */
export async function diamondScript(): Promise<Script> {
  return parseYaml(await readFile(DIAMOND, 'utf8')) as Script;
}

/**
 * The real app in a real Probot, its webhooks from GitHub's own examples, against GitHub in
 * memory behind its port: offline (no request leaves), and a test fails on any goal job error
 * and on any webhook payload GitHub's schemas refuse.
 */
export function appHarness({
  log,
  store,
}: {
  log?: () => Logger;
  /** The App's store (kept across `restart()`, as a data directory or a server is). */
  store?: () => GantryStore;
} = {}): () => Promise<Harness> {
  let current: Harness | undefined;
  beforeEach(() => {
    nock.disableNetConnect();
  });
  afterEach(async () => {
    await current?.app.idle();
    current?.app.close();
    nock.cleanAll();
    nock.enableNetConnect();
    const h = current;
    current = undefined;
    expect(h?.invalid ?? []).toEqual([]);
    expect(h?.errors ?? []).toEqual([]);
  });
  return async () => {
    const github = new MemoryGitHub();
    const errors: unknown[] = [];
    const scripted = await ScriptedPlanner.fromFile(DIAMOND);
    const h = {} as Harness;
    const clock = { now: NOW };
    const asked: Harness['asked'] = { recover: [], review: [] };
    const makeApp = () =>
      gantryApp({
        planner: () => recording(h.planner ?? scripted, asked),
        stateKey: KEY,
        appId: GANTRY_APP_ID,
        now: () => clock.now,
        newGoalId: () => `goal-${++goals}`,
        onJobError: (_goal, e) => errors.push(e),
        retryDelaysMs: [0, 0],
        github: { repository: () => github.port, app: () => github.app },
        store: store?.(),
      });
    const app = makeApp();
    const probot = await testProbot(app, log?.());
    let n = 0;
    let goals = 0;
    // GitHub sends webhooks for the App's own writes too; they must settle, never loop.
    const deliverEchoes = async () => {
      for (let round = 0; github.echoes.length > 0; round++) {
        if (round === 5) throw new Error('the app keeps reacting to its own writes');
        for (const echo of github.echoes.splice(0)) await send(echo.name, echo.payload);
        await h.app.idle();
      }
    };
    const send = async (name: string, payload: object, id = `delivery-${++n}`) => {
      const problems = openApi().checkWebhook(name, payload as Record<string, unknown>);
      if (problems?.length) h.invalid.push(`webhook ${name}: ${problems.join('; ')}`);
      await h.probot.receive({ id, name, payload } as never);
    };
    Object.assign(h, {
      github,
      invalid: [],
      app,
      probot,
      errors,
      clock,
      asked,
      send,
      deliver: async (name: string, payload: object, id?: string) => {
        await send(name, payload, id);
        await h.app.idle();
        await deliverEchoes();
      },
      sweep: async () => {
        await h.app.reconcileAll();
        await h.app.idle();
        await deliverEchoes();
      },
      restart: async () => {
        await h.app.idle();
        h.app.close();
        h.app = makeApp();
        h.probot = await testProbot(h.app, log?.());
        current = h;
      },
      plan: () => {
        const live = github.botComments().filter((c) => isPlanCommentBody(c.body));
        const last = live.at(-1);
        if (!last) throw new Error('no plan comment');
        return last;
      },
      state: () => {
        const parsed = parsePlanComment(h.plan().body, KEY, {
          repo: 'Codertocat/Hello-World',
          issue: 1,
        });
        if (!parsed.state.ok) throw parsed.state.error;
        return parsed.state.state;
      },
    });
    current = h;
    return h;
  };
}

/** The planner as it is, with the recovery and review requests it gets written down. */
function recording(p: Planner, asked: Harness['asked']): Planner {
  return {
    label: p.label,
    plan: (req) => p.plan(req),
    recover: (req) => (asked.recover.push(req), p.recover(req)),
    extractKnowledge: (req) => p.extractKnowledge(req),
    review: (req) => (asked.review.push(req), p.review(req)),
    estimate: (plan) => p.estimate(plan),
  };
}

let loaded: OpenApi | undefined;
/** GitHub's OpenAPI description, loaded once per test file. */
function openApi(): OpenApi {
  return (loaded ??= OpenApi.load());
}

/**
 * A planned goal, all approved and started by the maintainer (the label, `/gantry approve`,
 * `/gantry start`), on a harness from `start`, set up first by `configure`.
 */
export function startedGoal(start: () => Promise<Harness>) {
  return async (configure?: (h: Harness) => unknown): Promise<Harness> => {
    const h = await start();
    await configure?.(h);
    await h.deliver('issues', h.github.label('gantry'));
    await h.deliver('issue_comment', h.github.addComment('/gantry approve', 'maint').payload);
    await h.deliver('issue_comment', h.github.addComment('/gantry start', 'maint').payload);
    return h;
  };
}
