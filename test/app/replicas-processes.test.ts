import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { GoalView } from '../../src/standin/goal-view.js';
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
import { StandIn } from '../../src/standin/stand-in.js';
import { messageResponse } from '../support/anthropic-api.js';
import { freePort } from '../support/free-port.js';
import { startPostgres } from '../support/postgres-server.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

const KEY = 'k'.repeat(64);
const SECRET = 'replicas-secret';
// Three goals of four tasks: twelve task runs, each a real job of the stand-in's Actions.
const GOALS = 3;

type Answer = { status: number; json: object };

/** A local HTTP server on 127.0.0.1; closed after the test. */
async function listen(
  handle: (req: {
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
  }) => Answer | Promise<Answer>,
): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void Promise.resolve(
        handle({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        }),
      ).then(({ status, json }) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_1' });
        res.end(JSON.stringify(json));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stops.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The Anthropic Messages API as the planner calls it: a plan is the sample diamond, as structured
 * output; other operations (should the App make them) get the blandest valid answer.
 */
async function fakeModel(): Promise<{ url: string; calls: string[] }> {
  const calls: string[] = [];
  const url = await listen(({ method, url, body }) => {
    if (method !== 'POST' || !url.startsWith('/v1/messages'))
      return {
        status: 404,
        json: { type: 'error', error: { type: 'not_found_error', message: url } },
      };
    const request = JSON.parse(body.toString('utf8')) as {
      output_config?: { format?: { schema?: { properties?: Record<string, unknown> } } };
    };
    const props = Object.keys(request.output_config?.format?.schema?.properties ?? {});
    const answer = props.includes('tasks')
      ? samplePlan().plans[0]!
      : props.includes('findings')
        ? { findings: [] }
        : props.includes('verdict')
          ? { verdict: 'PASSED' }
          : undefined;
    calls.push(props.includes('tasks') ? 'plan' : props.join(','));
    if (!answer)
      return {
        status: 400,
        json: { type: 'error', error: { type: 'invalid_request_error', message: props.join() } },
      };
    return { status: 200, json: messageResponse(JSON.stringify(answer)) };
  });
  return { url, calls };
}

interface Replica {
  port: number;
  process: ChildProcess;
  alive: boolean;
  log: string;
}

/**
 * The production App as an operator runs several: three processes, one PostgreSQL. No timer sweep
 * comes during the test (every hour), so what the killed replica had taken must reach the others
 * through the store; a goal that waited for a sweep would miss the deadline (alone the test takes
 * about 75 s on two cores; the deadlines only stop a hung test).
 */
describe('three App processes (`node dist/app/main.js`) on one PostgreSQL, on the stand-in', () => {
  it(`run ${GOALS} goals of one repository at once with every webhook sent to two replicas, and finish them though one replica is killed (SIGKILL) midway: nothing dispatched or landed twice`, async () => {
    const pg = await startPostgres();
    stops.push(() => pg.stop());
    const model = await fakeModel();

    const dir = mkdtempSync(join(tmpdir(), 'gantry-replicas-'));
    writeFileSync(join(dir, 'agent.json'), JSON.stringify(sampleAgent()));
    const standIn = await StandIn.start({ actionDir: GANTRY_DIR });
    stops.push(() => standIn.close());
    const repo = await standIn.addRepo(
      SAMPLE_REPO,
      sampleFiles(scriptedAgentCommand(join(dir, 'agent.json'))),
      { roles: { maint: 'maintain' }, ci: SAMPLE_CI },
    );
    const issues = Array.from({ length: GOALS }, (_, k) =>
      standIn.store.addIssue(repo, 'maint', `${SAMPLE_ISSUE.title} (${k + 1})`, SAMPLE_ISSUE.body),
    );
    writeFileSync(join(dir, 'key.pem'), standIn.app.privateKey);

    // Three production processes, each on its own port, sharing DATABASE_URL.
    const replicas: Replica[] = [];
    for (let k = 0; k < 3; k++) {
      const port = await freePort();
      const child = spawn(process.execPath, ['dist/app/main.js'], {
        cwd: GANTRY_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          APP_ID: String(standIn.app.id),
          PRIVATE_KEY_PATH: join(dir, 'key.pem'),
          WEBHOOK_SECRET: SECRET,
          GANTRY_STATE_KEY: KEY,
          GANTRY_RECONCILE_MINUTES: '60',
          DATABASE_URL: pg.url,
          GHE_HOST: new URL(standIn.apiUrl).host,
          GHE_PROTOCOL: 'http',
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info', // one line per goal step: what a failure shows
          ANTHROPIC_API_KEY: 'sk-ant-test',
          ANTHROPIC_BASE_URL: model.url,
        },
      });
      const replica: Replica = { port, process: child, alive: true, log: '' };
      child.stdout.on('data', (d: Buffer) => (replica.log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (replica.log += d.toString()));
      child.once('exit', () => (replica.alive = false));
      stops.push(async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        await once(child, 'exit');
      });
      replicas.push(replica);
    }
    const logs = () =>
      replicas.map((r, k) => `--- replica ${k} (port ${r.port}):\n${r.log}`).join('\n');
    // Each replica answers /healthz before anything is sent.
    for (const r of replicas) {
      for (let k = 0; ; k++) {
        const ok = await fetch(`http://127.0.0.1:${r.port}/healthz`)
          .then((res) => res.status === 200)
          .catch(() => false);
        if (ok) break;
        if (k === 300) throw new Error(`replica on ${r.port} never answered /healthz:\n${logs()}`);
        await sleep(100);
      }
    }

    // GitHub's one webhook URL: a fan-out that forwards each delivery, as signed, to two live
    // replicas in turn (the same delivery id at both, as a redelivery would be).
    let turn = 0;
    const forwarded: string[] = [];
    const fanOut = await listen(async ({ headers, body }) => {
      const live = replicas.filter((r) => r.alive);
      const to = [live[turn % live.length]!, live[(turn + 1) % live.length]!];
      turn++;
      const pass: Record<string, string> = {};
      for (const h of [
        'content-type',
        'user-agent',
        'x-github-event',
        'x-github-delivery',
        'x-hub-signature-256',
      ])
        if (typeof headers[h] === 'string') pass[h] = headers[h];
      const outcomes = await Promise.all(
        [...new Set(to)].map((r) =>
          fetch(`http://127.0.0.1:${r.port}/api/github/webhooks`, {
            method: 'POST',
            headers: pass,
            body,
          })
            .then(async (res) => {
              await res.arrayBuffer();
              return `${r.port}:${res.status}`;
            })
            .catch(() => `${r.port}:failed`),
        ),
      );
      forwarded.push(`${pass['x-github-event']} ${outcomes.join(' ')}`);
      return { status: 200, json: {} };
    });
    const sender = standIn.connect({ url: fanOut, secret: SECRET });
    let pumping = true;
    const pump = (async () => {
      while (pumping) {
        await sender.flush();
        await sleep(50);
      }
    })();
    stops.push(async () => {
      pumping = false;
      await pump;
    });

    const maint = standIn.as('maint');
    const where = (issue: (typeof issues)[number]) => ({
      owner: repo.owner,
      repo: repo.name,
      issue_number: issue.number,
    });
    const views = issues.map((issue) => new GoalView(standIn, repo, issue, KEY));
    const status = () => views.map((v) => v.state()?.status ?? 'none');
    const waitFor = async (what: string, done: () => boolean, seconds = 60) => {
      for (let k = 0; k < seconds * 10; k++) {
        if (done()) return;
        await sleep(100);
      }
      throw new Error(
        `${what} did not happen: goals ${status().join(' ')}; runs ${runs().join(' ')}\n${logs()}`,
      );
    };
    const runs = () =>
      standIn.actions.runs.map((r) => `${r.inputs.goal}:${r.inputs.task_id}/${r.inputs.attempt}`);

    for (const issue of issues)
      await maint.rest.issues.addLabels({ ...where(issue), labels: ['gantry'] });
    await waitFor('every plan', () => status().every((s) => s === 'awaiting-approval'));
    for (const issue of issues)
      await maint.rest.issues.createComment({ ...where(issue), body: '/gantry approve' });
    await waitFor('every approval', () =>
      views.every((v) => v.state()!.tasks.every((t) => t.approvedHash !== undefined)),
    );
    for (const issue of issues)
      await maint.rest.issues.createComment({ ...where(issue), body: '/gantry start' });

    // Midway (some tasks dispatched, none of the goals over), one replica dies without a word.
    await waitFor('the first dispatches', () => standIn.actions.runs.length >= GOALS);
    expect(status().some((s) => s === 'done')).toBe(false);
    replicas[1]!.process.kill('SIGKILL');
    await once(replicas[1]!.process, 'exit');
    replicas[1]!.alive = false;

    await waitFor('the end of every goal', () => views.every((v) => v.over()), 420);
    const attempts = runs();
    expect(status()).toEqual(issues.map(() => 'done'));
    expect(new Set(attempts).size).toBe(attempts.length);
    expect(attempts).toHaveLength(GOALS * 4);
    // Each task landed once: one merge into its goal branch.
    const merges = standIn.appCalls().filter((c) => c.endsWith('/merges'));
    expect(merges).toHaveLength(GOALS * 4);
    expect(model.calls.filter((c) => c === 'plan')).toHaveLength(GOALS);
    // Every delivery reached at least one replica; the killed one took some before it died.
    expect(forwarded.filter((f) => !/:200\b/.test(f))).toEqual([]);
    expect(forwarded.some((f) => f.includes(`${replicas[1]!.port}:200`))).toBe(true);
    expect(standIn.problems()).toEqual([]);
  }, 600_000);
});
