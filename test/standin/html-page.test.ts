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
});
