import type { Html, Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown, gfmToMarkdown } from 'mdast-util-gfm';
import { toMarkdown } from 'mdast-util-to-markdown';
import { gfm } from 'micromark-extension-gfm';
import { SKIP, visit } from 'unist-util-visit';

/** Zero-width characters and bidi controls: invisible to a reader, visible to a model. */
// The class lists combining and joining characters on purpose: they are what gets removed.
/* eslint-disable no-misleading-character-class */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/gu;
/* eslint-enable no-misleading-character-class */
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const IMG_TAG = /<img\b[^>]*>/gi;
const TITLE_ATTR = /\s(?:title|alt)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi;

/**
 * Clean text a stranger wrote (issue title and body, comments) before a model reads it: drop
 * HTML comments, invisible characters, image alt text and link titles (all places to hide
 * instructions a maintainer reviewing the issue would not see), then cap the length.
 */
export function sanitizeUntrusted(text: string, maxChars: number): string {
  // Comments go before parsing: an unclosed one hides the rest of the text, and the serializer
  // would escape it into something else.
  const visible = text.replace(INVISIBLE, '').replace(/\r\n?/g, '\n').replace(HTML_COMMENT, '');
  const tree = fromMarkdown(visible, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  visit(tree, (node: Nodes, index, parent) => {
    if (node.type === 'html') {
      const cleaned = cleanHtml(node);
      if (!cleaned && parent && index !== undefined) {
        parent.children.splice(index, 1);
        return [SKIP, index];
      }
    }
    if (node.type === 'image' || node.type === 'imageReference') node.alt = '';
    if (node.type === 'image' || node.type === 'link' || node.type === 'definition')
      node.title = null;
    return undefined;
  });
  const out = toMarkdown(tree, { extensions: [gfmToMarkdown()] }).trim();
  return cap(out, maxChars);
}

function cleanHtml(node: Html): string {
  node.value = node.value
    .replace(HTML_COMMENT, '')
    .replace(IMG_TAG, '[image]')
    .replace(/<(a|abbr|span|div|p)\b[^>]*>/gi, (tag) => tag.replace(TITLE_ATTR, ''));
  return node.value.trim();
}

export function cap(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[… ${text.length - maxChars} more characters cut]`;
}

/**
 * Present untrusted text as delimited data. The closing tag cannot be forged from inside: any
 * `</tag` in the text is broken up.
 */
export function asData(tag: string, text: string): string {
  const safe = text.replace(new RegExp(`</?${tag}`, 'gi'), (m) => m.replace('<', '‹'));
  return `<${tag}>\n${safe}\n</${tag}>`;
}
