import { describe, expect, it } from 'vitest';
import { renderMarkdown, sanitize } from '../../src/standin/html-page.js';

describe('the HTML page renders comments as GitHub does', () => {
  it('renders GFM: task lists, tables, strikethrough, details, code blocks', () => {
    const html = renderMarkdown(
      '- [x] done\n- [ ] open\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n~~old~~\n\n<details><summary>More</summary>\n\nhidden\n</details>\n\n```mermaid\nflowchart LR\n```\n',
    );
    expect(html).toContain('<input type="checkbox" disabled checked> done');
    expect(html).toContain('<input type="checkbox" disabled> open');
    expect(html).toContain('<td align="center">2</td>');
    expect(html).toContain('<del>old</del>');
    expect(html).toContain('<details><summary>More</summary>');
    expect(html).toContain('<pre><code class="language-mermaid">flowchart LR');
  });

  it('drops what GitHub drops: scripts, handlers, styles, javascript links and HTML comments', () => {
    const html = sanitize(
      '<p onclick="x()" style="color:red">hi<script>alert(1)</script></p><!-- state --><a href="javascript:alert(1)">j</a><a href="https://example.com" target="_blank">ok</a><iframe src="x"></iframe><img src=x onerror=alert(1)>',
    );
    // GitHub keeps an image (without its handler).
    expect(html).toBe('<p>hi</p><a>j</a><a href="https://example.com">ok</a><img src="x">');
  });

  it('drops script elements and their text, however they are written', () => {
    expect(sanitize('a<SCRIPT>alert(1)</SCRIPT>b<script src="x.js"></script>c')).toBe('abc');
    // `<scr<script>` is one unknown element (named `scr<script`): what follows is only text.
    expect(sanitize('<scr<script>alert(1)</script>ipt>')).toBe('alert(1)ipt>');
    expect(sanitize('<svg><script>alert(1)</script></svg><math><mi>x</mi></math>')).toBe('x');
    // GFM's tag filter turns a script in markdown into text before the sanitizer sees it.
    expect(renderMarkdown('hi <script>alert(1)</script>')).toBe(
      '<p>hi &lt;script>alert(1)&lt;/script></p>',
    );
  });

  it('drops every event handler attribute, on allowed elements too', () => {
    const html = sanitize(
      '<details open ontoggle="alert(1)"><summary onclick="x()">S</summary>body</details><img src="https://example.com/a.png" onerror="alert(1)" onload="x()" alt="pic"><table onmouseover="x"><tr><td onclick="x" colspan="2">c</td></tr></table><b onmouseover="x">t</b>',
    );
    expect(html).not.toMatch(/\son\w+=/);
    expect(html).toBe(
      '<details open><summary>S</summary>body</details><img src="https://example.com/a.png" alt="pic"><table><tbody><tr><td colspan="2">c</td></tr></tbody></table><b>t</b>',
    );
  });

  it('drops javascript: and other unsafe URLs, however they are spelled', () => {
    expect(
      sanitize(
        '<a href="JaVaScRiPt:alert(1)">a</a><a href="&#106;avascript:alert(1)">b</a><a href="java\tscript:alert(1)">c</a><a href=" javascript:alert(1)">d</a><a href="vbscript:x">e</a><a href="data:text/html,x">f</a><img src="javascript:alert(1)">',
      ),
    ).toBe('<a>a</a><a>b</a><a>c</a><a>d</a><a>e</a><a>f</a><img>');
    // What GitHub allows: http(s), mailto and relative links.
    expect(
      sanitize('<a href="mailto:a@b.example">m</a><a href="/o/r/pull/1">r</a><a href="#x">h</a>'),
    ).toBe(
      '<a href="mailto:a@b.example">m</a><a href="/o/r/pull/1">r</a><a href="#user-content-x">h</a>',
    );
    expect(renderMarkdown('[x](javascript:alert(1))')).toBe('<p><a href="">x</a></p>');
  });

  it('keeps the HTML GitHub allows, and takes out what it does not', () => {
    expect(
      sanitize(
        '<details open><summary>More</summary><kbd>Ctrl</kbd> H<sub>2</sub>O x<sup>2</sup> <del>old</del> <ins>new</ins></details><table><thead><tr><th align="right">n</th></tr></thead><tbody><tr><td align="center" colspan="2">1</td></tr></tbody></table><ul class="contains-task-list"><li class="task-list-item"><input type="checkbox" checked disabled> done</li></ul>',
      ),
    ).toBe(
      '<details open><summary>More</summary><kbd>Ctrl</kbd> H<sub>2</sub>O x<sup>2</sup> <del>old</del> <ins>new</ins></details><table><thead><tr><th align="right">n</th></tr></thead><tbody><tr><td align="center" colspan="2">1</td></tr></tbody></table><ul class="contains-task-list"><li class="task-list-item"><input type="checkbox" checked disabled> done</li></ul>',
    );
    // Other elements go, their text stays; classes go; ids and names get GitHub's prefix; any
    // input becomes a disabled checkbox.
    expect(
      sanitize(
        '<form action="x"><button>b</button></form><p class="x" id="top">c</p><a name="n">n</a><input type="text" value="v">',
      ),
    ).toBe(
      'b<p id="user-content-top">c</p><a name="user-content-n">n</a><input value="v" disabled type="checkbox">',
    );
  });

  it('links footnotes to their prefixed ids, as GitHub shows them', () => {
    const html = renderMarkdown('Note[^1].\n\n[^1]: The note.\n');
    expect(html).toContain('<a href="#user-content-fn-1" id="user-content-fnref-1"');
    expect(html).toContain('<li id="user-content-fn-1">');
    expect(html).toContain('<a href="#user-content-fnref-1"');
  });

  it('escapes text, so markup in a comment stays text', () => {
    expect(renderMarkdown('`<b>` and 1 < 2 & "q"')).toBe(
      '<p><code>&lt;b></code> and 1 &lt; 2 &amp; "q"</p>',
    );
  });

  it('drops links that would leave the page for another host by a trick, or into the gone stand-in', () => {
    expect(sanitize('<a href="/\\evil.example">x</a><a href="//evil.example">y</a>')).toBe(
      '<a>x</a><a>y</a>',
    );
    expect(
      renderMarkdown(
        '[run](http://127.0.0.1:5/o/r/actions/runs/1) [docs](https://docs.github.com)',
        'http://127.0.0.1:5',
      ),
    ).toBe('<p><a>run</a> <a href="https://docs.github.com">docs</a></p>');
  });
});
