import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/standin/demo-run.js';
import { SUM_TEST, sumRepo, task, writePlan } from './demo-script.js';

describe('npm run demo tells what happened', () => {
  it("shows a failed agent as failed, red CI's check and log, and retries until it lands", async () => {
    // No `npm test`: CI runs the repository's own testCommand. The base is green: its sum test
    // comes with the task, so CI's red is the task's own.
    const r0 = sumRepo({
      'package.json': '{ "type": "module" }\n',
      '.github/gantry.yml': 'testCommand: node --test\n',
      'test/sum.test.js': "import { test } from 'node:test';\ntest('nothing yet', () => {});\n",
    });
    // The agent's criterion only asks for the file: a wrong sum passes it and CI catches it.
    const plan = writePlan(r0.scripts, [
      task('T1', [], {
        criteria: [{ kind: 'file', path: 'sum.js', exists: true }],
        scope: ['sum.js', 'test/sum.test.js'],
      }),
    ]);
    const agent = join(r0.scripts, 'three.json');
    const attempt = (body: string) => ({
      write: { 'sum.js': `export const sum = (a, b) => ${body};\n`, 'test/sum.test.js': SUM_TEST },
    });
    writeFileSync(
      agent,
      JSON.stringify({
        T1: [{ say: 'I could not find sum.js', exit: 1 }, attempt('a * b'), attempt('a + b')],
      }),
    );
    const lines: string[] = [];
    const r = await runDemo({
      repo: r0.dir,
      goal: 'Make sum add\n\nIt subtracts.',
      plan,
      agent,
      out: join(r0.scripts, 'out'),
      print: (l) => lines.push(l),
    });
    const text = lines.join('\n');
    expect(r).toMatchObject({ status: 'done', landed: 1, problems: [] });
    expect(text).toContain(
      "CI runs `node --test`: the testCommand of the repository's .github/gantry.yml.",
    );

    // The plan says the goal, not the script's.
    expect(text).toContain('Issue #1: Make sum add');
    expect(text).toContain('**Goal:** Make sum add');
    expect(text).not.toContain('**Goal:** Fix sum');

    // The scripted planner retried the failures the script had nothing for.
    expect(r.runs.map((x) => [x.task, x.attempt, x.outcome])).toEqual([
      ['T1', 1, 'failure'],
      ['T1', 2, 'success'],
      ['T1', 3, 'success'],
    ]);
    expect(r.runs[0]!.line).toMatch(/run \d+ \(T1 attempt 1\): failure \(.+\) in /);
    expect(text).toMatch(
      /dispatches T1 attempt 2 .*told: \[scripted\] agent failure: .*the command exited 1/,
    );

    // The red CI names its check and shows the failing test from its log.
    const red = r.ci.find((c) => c.failed)!;
    expect(red).toMatchObject({ task: 'T1', failed: { check: 'test' } });
    expect(red.failed!.summary).toBe('`node --test` exited with 1.');
    expect(red.failed!.log.join('\n')).toMatch(/sum|fail/i);
    expect(text).toMatch(/CI +red on [0-9a-f]{7} \(failure\) for T1: check `test` failed/);

    // The wall time is compared with the one chain there is, not with every run added up.
    expect(r.critical.tasks).toEqual(['T1']);
    expect(r.critical.ms).toBeLessThanOrEqual(r.runMs + r.ciMs);

    const page = readFileSync(r.page, 'utf8');
    expect(page).toContain('<h2>Task runs</h2>');
    expect(page).toMatch(/<td class="outcome failure">failure<\/td>/);
    expect(page).toContain('check <code>test</code> failed');
  });
});
