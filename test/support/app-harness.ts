import { join } from 'node:path';
import nock from 'nock';
import type { Probot } from 'probot';
import { afterEach, beforeEach, expect } from 'vitest';
import { gantryApp, type GantryApp } from '../../src/app/app.js';
import { parsePlanComment } from '../../src/core/checklist/parse.js';
import { isPlanCommentBody } from '../../src/core/checklist/superseded.js';
import type { GoalState } from '../../src/core/goal.js';
import type { Planner } from '../../src/planner/planner.js';
import { ScriptedPlanner } from '../../src/planner/scripted-planner.js';
import { FakeGitHub, GANTRY_APP_ID, type FakeComment } from './fake-github.js';
import { testProbot } from './probot.js';

export const KEY = 'state-key';
export const DIAMOND = join(import.meta.dirname, '../fixtures/planner/diamond.yml');
export const NOW = 1_700_000_000_000;

export interface Harness {
  fake: FakeGitHub;
  app: GantryApp;
  probot: Probot;
  /** Deliver a webhook and wait until the goal work it caused is done. */
  deliver(name: string, payload: object, id?: string): Promise<void>;
  /** A start-up or timer sweep, and everything it causes. */
  sweep(): Promise<void>;
  /** Deliver without waiting (to test coalescing). */
  send(name: string, payload: object, id?: string): Promise<void>;
  /** Gantry's live plan comment on issue 1. */
  plan(): FakeComment;
  /** The signed state in the live plan comment (the test fails when it does not verify). */
  state(): GoalState;
  errors: unknown[];
  /** Replace the planner for the next plans (defaults to the diamond fixture). */
  planner?: Planner;
}

/**
 * The real app in a real Probot against the fake GitHub: every test file that uses it is offline,
 * fails on any request the fake does not know, and on any goal job error.
 */
export function appHarness(): () => Promise<Harness> {
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
    expect(h?.fake.unknown ?? []).toEqual([]);
    expect(h?.errors ?? []).toEqual([]);
  });
  return async () => {
    const fake = new FakeGitHub();
    fake.install();
    const errors: unknown[] = [];
    const scripted = await ScriptedPlanner.fromFile(DIAMOND);
    const h = {} as Harness;
    const app = gantryApp({
      planner: () => h.planner ?? scripted,
      stateKey: KEY,
      appId: GANTRY_APP_ID,
      now: () => NOW,
      newGoalId: () => `goal-${++goals}`,
      onJobError: (_goal, e) => errors.push(e),
      retryDelaysMs: [0, 0],
    });
    const probot = await testProbot(app);
    let n = 0;
    let goals = 0;
    // GitHub sends webhooks for the App's own writes too; they must settle, never loop.
    const deliverEchoes = async () => {
      for (let round = 0; fake.echoes.length > 0; round++) {
        if (round === 5) throw new Error('the app keeps reacting to its own writes');
        for (const echo of fake.echoes.splice(0)) await send(echo.name, echo.payload);
        await app.idle();
      }
    };
    const send = async (name: string, payload: object, id = `delivery-${++n}`) => {
      await probot.receive({ id, name, payload } as never);
    };
    Object.assign(h, {
      fake,
      app,
      probot,
      errors,
      send,
      deliver: async (name: string, payload: object, id?: string) => {
        await send(name, payload, id);
        await app.idle();
        await deliverEchoes();
      },
      sweep: async () => {
        await app.reconcileAll();
        await app.idle();
        await deliverEchoes();
      },
      plan: () => {
        const live = fake.botComments().filter((c) => isPlanCommentBody(c.body));
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
