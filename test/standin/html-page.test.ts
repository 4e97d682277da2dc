import { describe, expect, it } from 'vitest';
import { renderMarkdown, sanitize } from '../../src/standin/html-page.js';

describe('the HTML page renders comments as GitHub does', () => {
  it('renders GFM: task lists, tables, strikethrough, details, code blocks', () => {
    const html = renderMarkdown(
      '- [x] done\n- [ ] open\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n~~old~~\n\n<details><summary>More</summary>\n\nhidden\n</details>\n\n```mermaid\nflowchart LR\n```\n',
    );
    expect(html).toContain('<input type="checkbox" checked="" disabled> done');
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
    expect(html).toBe('<p>hi</p><a>j</a><a href="https://example.com">ok</a>');
  });

  it('escapes text, so markup in a comment stays text', () => {
    expect(renderMarkdown('`<b>` and 1 < 2 & "q"')).toBe(
      '<p><code>&lt;b&gt;</code> and 1 &lt; 2 &amp; &quot;q&quot;</p>',
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
