import { describe, expect, it } from 'vitest';
import { SAMPLE_ISSUE } from '../../src/standin/sample.js';
import { wideAgent, widePlan } from '../../src/standin/wide-sample.js';
import { scenario } from '../support/standin-scenario.js';
import { perLandedTask } from './figures.js';

const N = 12;

describe('a goal of 12 tasks on the stand-in', () => {
  it('lands every task within the secondary limits, with a bounded count of content-creating requests', async () => {
    const w = await scenario({
      plan: (p) => {
        const wide = widePlan(N);
        p.plans = wide.plans.map((x) => ({ ...(x as object), goal: SAMPLE_ISSUE }));
        p.recoveries = [];
        p.knowledge = [];
      },
      agent: (a) => {
        for (const k of Object.keys(a)) delete a[k];
        Object.assign(a, wideAgent(N));
      },
      config: { maxParallel: 4 },
    });
    await w.label();
    await w.settle();
    expect(w.state().status).toBe('awaiting-approval');
    await w.tick([...Array.from({ length: N }, (_, k) => `T${k + 1}`), 'Start']);
    await w.until(undefined, 60);
    const s = w.state();
    expect(s.status).toBe('done');
    const landed = s.tasks.filter((t) => t.status === 'done').length;
    expect(landed).toBe(N);
    // Nothing refused: no request over a secondary limit (the stand-in records each refusal).
    expect(w.standIn.problems()).toEqual([]);
    expect(w.standIn.server.secondary.peakPerMinute).toBeLessThanOrEqual(80);
    const calls = w.appRequests();
    // GraphQL is a POST whether it reads or writes: its mutations here (ready for review, stale
    // candidate refs deleted) are judged by the stand-in's secondary limits above (deleting refs
    // creates nothing, as REST's DELETE), its queries (CI verdicts) create nothing.
    const creating = calls.filter(
      (c) => /^(POST|PUT) /.test(c) && !c.startsWith('POST /app/') && c !== 'POST /graphql',
    );
    const planEdits = calls.filter((c) =>
      /^PATCH \/repos\/[^/]+\/[^/]+\/issues\/comments\//.test(c),
    );
    const comments = calls.filter((c) =>
      /^POST \/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(c),
    );
    // How each run's publish job ended came with its `workflow_job` webhook: no run's jobs listed
    // (12 listings, one a task, before the App subscribed to it).
    const jobListings = calls.filter((c) =>
      /^GET \/repos\/[^/]+\/[^/]+\/actions\/runs\/\d+\/jobs/.test(c),
    );
    expect(jobListings).toEqual([]);
    // Measured: see the README's Measurements; bounds with room for the order of events.
    // Three a task (the dispatch, the candidate's ref, the merge into it) and a few a goal.
    expect(creating.length / landed).toBeLessThanOrEqual(4);
    expect((planEdits.length + comments.length) / landed).toBeLessThanOrEqual(1);
    // 10.3 measured (14.4 before the publish artifact carried the result, workflow_job told the
    // publish job's end and stale refs went several to a request; 11.7 before dispatch intents
    // and the fast-forward folded with the ref deletions): bound with room for the order.
    expect(perLandedTask('12 tasks', w)).toBeLessThanOrEqual(13);
    // One artifact download a task: the publish artifact holds the agent's result and the record.
    const zips = calls.filter((c) =>
      /^GET \/repos\/[^/]+\/[^/]+\/actions\/artifacts\/\d+\/zip$/.test(c),
    );
    expect(zips.length).toBeLessThanOrEqual(landed);
    const deletes = calls.filter((c) => c.startsWith('DELETE ')).length;
    const graphqls = calls.filter((c) => c === 'POST /graphql').length;
    // Stale candidate refs go several to a GraphQL request (measured: 4 DELETEs in all, 14 before).
    expect(deletes).toBeLessThanOrEqual(landed / 2);
    console.log(
      `12 tasks: ${calls.length} calls, ${creating.length} POST/PUT, ${planEdits.length} comment edits, ${comments.length} comments posted, ${deletes} DELETE, ${graphqls} GraphQL, ${w.standIn.server.notModified.length} answered 304, ${zips.length} artifact downloads, ${jobListings.length} job listings, peak ${w.standIn.server.secondary.peakPerMinute} a minute`,
    );
  });
});
