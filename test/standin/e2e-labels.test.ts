import { describe, expect, it } from 'vitest';
import { isPlanCommentBody } from '../../src/core/checklist/superseded.js';
import { scenario } from '../support/standin-scenario.js';

describe('the App against the stand-in: who may add and remove the trigger label', () => {
  it('a triage user labels: nothing is planned; removes a maintainer’s label: it is put back', async () => {
    const w = await scenario();
    const tri = w.standIn.as('tri');
    const byApp = () => w.issue.comments.filter((c) => c.app?.id === w.standIn.app.id);
    const plans = () => byApp().filter((c) => isPlanCommentBody(c.body));

    await tri.rest.issues.addLabels({ ...w.where, labels: ['gantry'] });
    await w.settle();
    expect(plans()).toEqual([]);
    expect(byApp().map((c) => c.body)).toEqual([
      expect.stringMatching(/^@tri added the `gantry` label, but/),
    ]);

    await tri.rest.issues.removeLabel({ ...w.where, name: 'gantry' });
    await w.label();
    await w.settle();
    expect(plans()).toHaveLength(1);
    expect(w.issue.labels).toEqual(['gantry', 'gantry:awaiting-approval']);

    await tri.rest.issues.removeLabel({ ...w.where, name: 'gantry' });
    await w.settle();
    expect(w.issue.labels).toContain('gantry');
    expect(w.issue.labels).toContain('gantry:awaiting-approval');
    expect(byApp().at(-1)?.body).toMatch(/^@tri removed the `gantry` label without write access/);
    expect(w.standIn.problems()).toEqual([]);
  });
});
