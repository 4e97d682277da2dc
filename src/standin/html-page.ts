import { fromHtml } from 'hast-util-from-html';
import { defaultSchema, sanitize as sanitizeTree } from 'hast-util-sanitize';
import { toHtml } from 'hast-util-to-html';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { visit } from 'unist-util-visit';
import type { FailedCriterion } from './failed-criteria.js';
import type { StoredComment, StoredIssue, StoredPull } from './store.js';
import { criteriaSaid } from './timeline.js';

/**
 * An HTML page of an issue thread and its pull request, rendered as GitHub renders them: GitHub
 * Flavored Markdown (tables, task lists, strikethrough, autolinks), the HTML GitHub allows
 * (`details`, `summary`, `sub`…) and nothing else, HTML comments hidden, and mermaid code blocks
 * drawn as diagrams (by mermaid from a CDN when the page is opened online; the source shows
 * offline).
 */

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** GitHub prefixes user ids and names so they cannot clobber the page's own. */
const PREFIX = defaultSchema.clobberPrefix ?? 'user-content-';

/**
 * Keep only the tags, attributes and URL protocols GitHub keeps: `hast-util-sanitize`'s default
 * schema is GitHub's allowlist, applied to the HTML as a browser parses it (parse5). Then, for a
 * page read from a file rather than on github.com: links that a browser would take to another
 * host (`//host`, `/\host`) and links into the stand-in, which is gone by then, lose their
 * `href`; and `#x` points at the prefixed `user-content-x`, as GitHub's own script resolves it.
 */
export function sanitize(html: string, deadLinks?: string): string {
  const tree = sanitizeTree(fromHtml(html, { fragment: true }), defaultSchema);
  visit(tree, 'element', (node) => {
    const href = node.properties.href;
    if (typeof href !== 'string') return;
    // Browsers drop tabs and newlines in a URL and read a backslash as a slash.
    const url = href.replace(/[\t\n\r]/g, '').trim();
    if (/^[/\\]{2}/.test(url) || (deadLinks && url.startsWith(deadLinks)))
      delete node.properties.href;
    else if (url.length > 1 && url.startsWith('#') && !url.startsWith(`#${PREFIX}`))
      node.properties.href = `#${PREFIX}${url.slice(1)}`;
  });
  return toHtml(tree, { characterReferences: { useNamedReferences: true } });
}

/** Markdown as GitHub shows it. */
export function renderMarkdown(markdown: string, deadLinks?: string): string {
  return sanitize(
    micromark(markdown, {
      extensions: [gfm()],
      // The sanitizer adds GitHub's prefix to footnote ids, and to the links to them.
      htmlExtensions: [gfmHtml({ clobberPrefix: '' })],
      allowDangerousHtml: true,
    }),
    deadLinks,
  );
}

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

function comment(c: StoredComment, deadLinks?: string): string {
  const who = c.app ? `${c.app.slug} <span class="bot">bot</span>` : escape(c.user);
  return `<article class="comment"><header><strong>${who}</strong> commented ${when(c.createdAt)}${c.updatedAt !== c.createdAt ? ' · edited' : ''}</header><div class="body">${renderMarkdown(c.body, deadLinks)}</div></article>`;
}

export interface PageInput {
  repo: string;
  issue: StoredIssue;
  pull?: StoredPull | undefined;
  /** CI on the pull request's head: `success`, `failure`, or undefined when none ran. */
  pullCi?: string | undefined;
  /** A line saying how this was made (the scripted planner and agent, or Claude). */
  note: string;
  /** The stand-in's address: its links are dropped, as it is gone when the page is read. */
  serverUrl?: string | undefined;
  /** The pull request's change: its diff (with `git diff --stat`) and each task's commits. */
  change?: PageChange | undefined;
  /** Each task run with its agent's outcome and reason, as the timeline printed it. */
  runs?: readonly PageRun[] | undefined;
  /** Each CI verdict; a red one with its failing check and the first lines of its log. */
  ci?: readonly PageCi[] | undefined;
}

export interface PageRun {
  id: number;
  task: string | undefined;
  attempt: number | undefined;
  outcome: string;
  reason: string | undefined;
  /** The criteria that failed, each with what it checked and its output. */
  criteria?: readonly FailedCriterion[] | undefined;
  ms: number;
}

export interface PageCi {
  sha: string;
  conclusion: string;
  task: string | undefined;
  ms: number;
  failed: { check: string; summary: string; log: string[] } | undefined;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Why a run ended as it did: the reason, the failed criteria and the first lines of output. */
function why(r: PageRun): string {
  const c = criteriaSaid(r.criteria ?? []);
  const said = escape([r.reason, c?.said].filter(Boolean).join('; '));
  return c?.output.length ? `${said}<pre class="log">${escape(c.output.join('\n'))}</pre>` : said;
}

/** The task runs (the agent's outcome, never the workflow's) and CI, as GitHub's Actions tab. */
function runsAndCi(runs: readonly PageRun[], ci: readonly PageCi[]): string {
  if (!runs.length && !ci.length) return '';
  const rows = runs
    .map(
      (r) =>
        `<tr><td>${r.id}</td><td>${escape(r.task ?? '?')}</td><td>${r.attempt ?? ''}</td><td class="outcome ${escape(r.outcome.replace(/ /g, '-'))}">${escape(r.outcome)}</td><td>${why(r)}</td><td>${secs(r.ms)}</td></tr>`,
    )
    .join('\n');
  const checks = ci
    .map((c) => {
      const head = `<code>${escape(c.sha)}</code>${c.task ? ` for ${escape(c.task)}` : ''}: <span class="outcome ${c.conclusion === 'success' ? 'success' : 'failure'}">${escape(c.conclusion)}</span> in ${secs(c.ms)}`;
      if (!c.failed) return `<li>${head}</li>`;
      return `<li>${head}, check <code>${escape(c.failed.check)}</code> failed: ${escape(c.failed.summary)}<pre class="log">${escape(c.failed.log.join('\n'))}</pre></li>`;
    })
    .join('\n');
  return `<section><h2>Task runs</h2>
${rows ? `<table><thead><tr><th>Run</th><th>Task</th><th>Attempt</th><th>Agent</th><th>Why</th><th>Took</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No task runs.</p>'}
<h2>CI</h2>
${checks ? `<ul>${checks}</ul>` : '<p>No CI runs.</p>'}</section>`;
}

export interface PageChange {
  stat: string;
  diff: string;
  commits: { task: string; sha: string; subject: string }[];
}

const DIFF_LINE: [RegExp, string][] = [
  [
    /^(diff --git|index |--- |\+\+\+ |new file|deleted file|similarity|rename |Binary files)/,
    'meta',
  ],
  [/^@@/, 'hunk'],
  [/^\+/, 'add'],
  [/^-/, 'del'],
];

/** The commits of the pull request by task, and its diff, as GitHub's Commits and Files tabs. */
function change(c: PageChange): string {
  const tasks = [...new Set(c.commits.map((x) => x.task))];
  const commits = tasks
    .map(
      (t) =>
        `<h3>${escape(t)}</h3><ul>${c.commits
          .filter((x) => x.task === t)
          .map((x) => `<li><code>${escape(x.sha.slice(0, 7))}</code> ${escape(x.subject)}</li>`)
          .join('')}</ul>`,
    )
    .join('\n');
  const diff = c.diff
    .split('\n')
    .map((line) => {
      const cls = DIFF_LINE.find(([re]) => re.test(line))?.[1];
      return cls ? `<span class="${cls}">${escape(line)}</span>` : escape(line);
    })
    .join('\n');
  return `<section><h2>Commits</h2>
${commits || '<p>No commits.</p>'}
<h2>Files changed</h2>
<pre>${escape(c.stat)}</pre>
<pre class="diff">${diff}</pre></section>`;
}

export function renderPage(p: PageInput): string {
  const issue = `<section><h1>${escape(p.issue.title)} <span class="num">#${p.issue.number}</span></h1>
<p class="meta"><span class="state ${p.issue.state}">${p.issue.state}</span> ${escape(p.issue.user)} opened this issue · labels: ${p.issue.labels.map((l) => `<span class="label">${escape(l)}</span>`).join(' ')}</p>
${comment({ id: 0, body: p.issue.body, user: p.issue.user, createdAt: p.issue.createdAt, updatedAt: p.issue.createdAt }, p.serverUrl)}
${p.issue.comments.map((c) => comment(c, p.serverUrl)).join('\n')}</section>`;
  const pr = p.pull
    ? `<section><h1>${escape(p.pull.title)} <span class="num">#${p.pull.number}</span></h1>
<p class="meta"><span class="state ${p.pull.draft ? 'draft' : 'open'}">${p.pull.draft ? 'Draft' : 'Ready for review'}</span> ${escape(p.pull.user)} wants to merge <code>${escape(p.pull.head)}</code> into <code>${escape(p.pull.base)}</code> · CI: ${escape(p.pullCi ?? 'none')} · reviewers: ${p.pull.reviewers.map(escape).join(', ') || 'none'}</p>
${comment({ id: 0, body: p.pull.body, user: p.pull.user, app: { id: 0, slug: p.pull.user.replace(/\[bot\]$/, '') }, createdAt: p.pull.createdAt, updatedAt: p.pull.updatedAt }, p.serverUrl)}</section>`
    : '<section><h1>No pull request</h1></section>';
  const changed = p.change ? change(p.change) : '';
  const actions = runsAndCi(p.runs ?? [], p.ci ?? []);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(p.repo)}#${p.issue.number}: ${escape(p.issue.title)}</title>
<style>
body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;max-width:900px;margin:2em auto;color:#1f2328;padding:0 1em}
h1{font-weight:400;border-bottom:1px solid #d1d9e0;padding-bottom:.3em}.num{color:#59636e}
.meta{color:#59636e}.state{color:#fff;border-radius:2em;padding:.2em .8em;margin-right:.5em}
.state.open{background:#1f883d}.state.closed{background:#8250df}.state.draft{background:#59636e}
.label{background:#ddf4ff;border-radius:2em;padding:0 .6em;margin-right:.3em}
.comment{border:1px solid #d1d9e0;border-radius:6px;margin:1em 0}
.comment header{background:#f6f8fa;border-bottom:1px solid #d1d9e0;padding:.5em 1em;color:#59636e}
.comment .body{padding:0 1em}.bot{border:1px solid #d1d9e0;border-radius:2em;padding:0 .4em;font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #d1d9e0;padding:.3em .8em}
code{background:#eff1f3;border-radius:4px;padding:.1em .3em}pre{background:#f6f8fa;padding:1em;overflow:auto}
ul:has(input){list-style:none;padding-left:1em}.note{color:#59636e;font-style:italic}
.outcome.success{color:#1f883d}.outcome.failure,.outcome.refused{color:#d1242f}.outcome.partial,.outcome.no-change,.outcome.cancelled{color:#9a6700}
.diff .add{background:#dafbe1}.diff .del{background:#ffebe9}.diff .hunk{color:#0969da}.diff .meta{font-weight:600}
</style></head><body>
<p class="note">${escape(p.note)} · ${escape(p.repo)} on the Gantry stand-in</p>
${issue}
${pr}
${actions}
${changed}
<script type="module">
const blocks = document.querySelectorAll('pre > code.language-mermaid');
if (blocks.length) {
  const { default: mermaid } = await import('https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs');
  for (const code of blocks) { const div = document.createElement('div'); div.className = 'mermaid'; div.textContent = code.textContent; code.parentElement.replaceWith(div); }
  await mermaid.run();
}
</script>
</body></html>
`;
}
