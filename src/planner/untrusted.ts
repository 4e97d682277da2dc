import { Parser } from 'htmlparser2';
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown, gfmToMarkdown } from 'mdast-util-gfm';
import { toMarkdown } from 'mdast-util-to-markdown';
import { gfm } from 'micromark-extension-gfm';
import { SKIP, visit } from 'unist-util-visit';

/**
 * Zero-width characters, bidi controls, Unicode tag characters (ASCII smuggling) and variation
 * selectors: invisible to a reader, visible to a model.
 */
/* eslint-disable no-misleading-character-class -- the class lists joining and combining characters because they are what gets removed */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
/* eslint-enable no-misleading-character-class */
const CLOSED_COMMENT = /<!--[\s\S]*?-->/g;

/** Whether the text holds characters a reader cannot see (`search` ignores the /g state). */
export function hasInvisible(text: string): boolean {
  return text.search(INVISIBLE) !== -1;
}

/**
 * Clean markdown a stranger wrote (issue title and body, comments) before a model reads it: keep
 * what a maintainer sees on GitHub and drop what is hidden there: HTML comments, invisible
 * characters, image alt text, link titles and every attribute of raw HTML. The markdown is parsed
 * (mdast, with GFM) and raw HTML tokenized (htmlparser2); regexes would misread quoting.
 */
export function sanitizeUntrusted(text: string, maxChars: number): string {
  const tree = fromMarkdown(text.replace(/\r\n?/g, '\n'), {
    extensions: [gfm()],
    mdastExtensions: [gfmFromMarkdown()],
  });
  visit(tree, (node: Nodes, index, parent) => {
    if (node.type === 'html') {
      node.value = visibleHtml(node.value);
      if (!node.value.trim() && parent && index !== undefined) {
        parent.children.splice(index, 1);
        return [SKIP, index];
      }
    }
    if (node.type === 'image' || node.type === 'imageReference') node.alt = '';
    if (node.type === 'image' || node.type === 'link' || node.type === 'definition')
      node.title = null;
    return undefined;
  });
  // Entities (`&#x202E;`) are decoded by the parser, so invisible characters go after it too.
  const out = toMarkdown(tree, { extensions: [gfmToMarkdown()] })
    .replace(INVISIBLE, '')
    .trim();
  return cap(out, maxChars);
}

/** The text of raw HTML as GitHub shows it: no tags, attributes or comments; images as [image]. */
function visibleHtml(html: string): string {
  let out = '';
  const parser = new Parser(
    {
      ontext: (t) => (out += t),
      onopentag: (name) => {
        if (name === 'img') out += '[image]';
        if (name === 'br' || name === 'p' || name === 'div' || name === 'summary') out += '\n';
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out.replace(INVISIBLE, '');
}

/**
 * Clean plain text a tool produced (logs, diffs, summaries of commands): no markdown round trip,
 * which would rewrite it; just invisible characters and closed HTML comments removed, then the
 * end kept (`tail`) or the start (`head`).
 */
export function sanitizePlain(
  text: string,
  maxChars: number,
  keep: 'head' | 'tail' = 'head',
): string {
  const bounded = keep === 'tail' ? tailOf(text, maxChars * 2) : text.slice(0, maxChars * 2);
  const clean = bounded.replace(/\r\n?/g, '\n').replace(INVISIBLE, '').replace(CLOSED_COMMENT, '');
  return keep === 'tail' ? tailOf(clean, maxChars, true) : cap(clean, maxChars);
}

function tailOf(text: string, max: number, mark = false): string {
  if (text.length <= max) return text;
  return `${mark ? `[… ${text.length - max} earlier characters cut]\n` : ''}${text.slice(-max)}`;
}

export function cap(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[… ${text.length - maxChars} more characters cut]`;
}

/** Every tag Gantry delimits data with; none of them can be opened or closed from inside data. */
export const DATA_TAGS = [
  'issue_title',
  'issue_body',
  'feedback',
  'readme',
  'previous_plan',
  'plan',
  'task',
  'evidence',
  'log',
  'diff',
  'summary',
  'criteria',
  'findings',
] as const;
export type DataTag = (typeof DATA_TAGS)[number];
const ANY_DATA_TAG = new RegExp(`</?\\s*(?:${DATA_TAGS.join('|')})\\b`, 'gi');

/**
 * Present untrusted text as delimited data. No data tag (this one or another) can be forged from
 * inside: their `<` becomes `‹`.
 */
export function asData(tag: DataTag, text: string): string {
  const safe = text.replace(INVISIBLE, '').replace(ANY_DATA_TAG, (m) => m.replace('<', '‹'));
  return `<${tag}>\n${safe}\n</${tag}>`;
}
