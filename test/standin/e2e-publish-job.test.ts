import { describe, expect, it } from 'vitest';
import { scenario, type Scenario } from '../support/standin-scenario.js';

/** Label the issue, tick every box and Start, and run the diamond to the end. */
async function run(w: Scenario): Promise<void> {
  await w.label();
  await w.settle();
  await w.tick(['T1', 'T2', 'T3', 'T4', 'Start']);
  await w.until();
  expect(w.state().status).toBe('done');
  expect(w.standIn.problems()).toEqual([]);
}

const jobListings = (w: Scenario) =>
  w.appRequests().filter((c) => /^GET \/repos\/[^/]+\/[^/]+\/actions\/runs\/\d+\/jobs/.test(c));
const jobWebhooks = (w: Scenario) =>
  w.standIn.webhooks.deliveries.filter((d) => d.event === 'workflow_job');

describe('how a task run’s publish job ended, from `workflow_job` webhooks', () => {
  it('lands every task without listing a run’s jobs when the webhooks arrive', async () => {
    const w = await scenario();
    await run(w);
    expect(jobListings(w)).toEqual([]);
    // Queued, in progress and completed for each job that ran; completed for a skipped one.
    const completed = jobWebhooks(w).filter((d) => d.action === 'completed');
    expect(completed.length).toBeGreaterThanOrEqual(8); // agent and publish of 4 runs
    expect(completed.every((d) => d.outcome === 200)).toBe(true);
  });

  it('lists each run’s jobs, as before, when every `workflow_job` webhook is lost', async () => {
    const w = await scenario({ chaos: { lose: ['workflow_job'] } });
    await run(w);
    expect(jobListings(w)).toHaveLength(4);
    expect(jobWebhooks(w).every((d) => d.outcome === 'lost')).toBe(true);
  });
});
