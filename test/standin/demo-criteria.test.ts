import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/standin/demo-run.js';
import { sumRepo } from './demo-script.js';

describe('npm run demo says why criteria failed and what CI runs', () => {
  it("names the failed criterion and shows its output's first lines; CI is `npm test` from package.json", async () => {
    // `npm test` in package.json, no .github/gantry.yml: no testCommand to name. A workflow of
    // its own, which the stand-in's CI does not run.
    const r0 = sumRepo({ '.github/workflows/test.yml': 'on: push\n' });
    const agent = join(r0.scripts, 'wrong-then-right.json');
    writeFileSync(
      agent,
      JSON.stringify({
        T1: [
          { write: { 'sum.js': 'export const sum = (a, b) => a * b;\n' } },
          { write: { 'sum.js': 'export const sum = (a, b) => a + b;\n' } },
        ],
      }),
    );
    const lines: string[] = [];
    const r = await runDemo({
      repo: r0.dir,
      goal: 'Make sum add',
      plan: r0.plan,
      agent,
      out: join(r0.scripts, 'out'),
      knownRed: true, // the sum test fails on the base: this goal is what fixes it
      print: (l) => lines.push(l),
    });
    const text = lines.join('\n');
    expect(r).toMatchObject({ status: 'done', landed: 1, problems: [] });
    expect(text).toContain(
      "CI runs `npm test`: the test script of the repository's package.json. The repository's own workflows (.github/workflows/test.yml) do not run: the stand-in's CI is this one command.",
    );

    // The first attempt changed sum.js but its criterion `node --test` failed: partial, not
    // "no change", with the criterion and the first lines of its output.
    const first = r.runs[0]!;
    expect(first).toMatchObject({ task: 'T1', attempt: 1, outcome: 'partial' });
    expect(first.line).toMatch(
      /run \d+ \(T1 attempt 1\): partial \(.*; criterion 0 \(command\) failed: `node --test` exited 1\) in [\d.]+ s; its output:$/,
    );
    const after = text.split('\n').slice(text.split('\n').indexOf(first.line) + 1);
    const output = after.filter((l) => /^ {17}\| /.test(l)).slice(0, 12);
    expect(output.length).toBeGreaterThan(0);
    expect(output.join('\n')).toMatch(/not ok|fail/i);
    expect(first.criteria?.[0]).toMatchObject({ path: '0', kind: 'command' });

    const page = readFileSync(r.page, 'utf8');
    expect(page).toContain('criterion 0 (command) failed: `node --test` exited 1<pre class="log">');
  });
});
