/**
 * Where outside text goes in GitHub markdown:
 * - `block`: paragraphs (descriptions, notes, answers); line breaks kept.
 * - `line`: inside one line Gantry writes (a checklist line, a heading); line breaks become spaces.
 * - `cell`: a table cell: `line`, with `|` escaped.
 * - `quote`: a block quoted with `> ` (a question, an answer quoted in a reply).
 * - `code`: a whole code span, shown verbatim (commands, paths, patterns).
 * - `mermaid`: a node label inside a mermaid picture.
 */
export type InertAs = 'block' | 'line' | 'cell' | 'quote' | 'code' | 'mermaid';

/**
 * The one sanitizer for text Gantry did not write (issue text, model output, agent summaries, CI
 * output, a person's YAML or command) on its way into a comment, reply or pull request body:
 *
 * - HTML cannot render and Gantry's hidden markers (`<!--`, `-->`) cannot be opened or closed:
 *   `&`, `<` and `>` become entities, so `<b>`, `<details>`, `<img>` and `&#64;` show as text.
 * - Nobody is notified: `@user` and `@org/team` get a word joiner after the `@`.
 * - Cross-repository references (`owner/repo#1`) do not link: GitHub would post "mentioned this"
 *   into that other repository's issue under the App's name, so outside text could make Gantry
 *   spam any project. Same-repository `#1` stays a link (it only points within the goal's own
 *   repository). Full issue URLs stay links too: breaking every URL would break ordinary links.
 * - Images do not load (`![...]` shows as text): a picture could pass for Gantry's own status or
 *   a ticked box, and is fetched on every view. Links stay (they show their target).
 * - Checkbox syntax at a line start and unclosed code fences are broken, so outside text can add
 *   no box to tick and cannot turn the rest of a comment (markers, state) into visible code.
 *
 * Everything else (emphasis, links, code spans) renders as written. `fromInert` undoes it, so a
 * person's edit of a title or description in the plan comment reads back as the text it shows.
 */
export function inert(text: string, as: InertAs = 'block'): string {
  switch (as) {
    case 'code':
      return codeSpan(text);
    case 'mermaid':
      return mermaidLabel(text);
    case 'block':
      return closeFences(prose(text).replace(CHECKBOX_START, '$1&#91;'));
    case 'quote':
      return inert(text, 'block')
        .split('\n')
        .map((l) => `> ${l}`)
        .join('\n');
    case 'line':
      return oneLine(text);
    case 'cell':
      return oneLine(text).replace(/\|/g, '\\|');
  }
}

/** Text as it was before `inert` (block or line): for edits read back from a comment. */
export function fromInert(text: string): string {
  return text
    .replace(/@\u2060/g, '@')
    .replace(/#\u2060/g, '#')
    .replace(/&(amp|lt|gt|#91|#92|#96|#126);/g, (_, name: string) => DECODE[name]!);
}

const ENCODE: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const DECODE: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  '#91': '[',
  '#92': '\\',
  '#96': '`',
  '#126': '~',
};
const JOINER = '\u2060';
// Nested list markers too (`- - [ ]` is a checkbox in a sub-list).
const CHECKBOX_START = /^(\s*(?:(?:[-*+]|\d{1,9}[.)])\s+)+)\[/gm;

function prose(text: string): string {
  return (
    text
      .replace(/[&<>]/g, (c) => ENCODE[c]!)
      // A joiner is also added where one already follows, so `fromInert` is an exact inverse.
      .replace(/@(?=[\w\u2060-])/g, `@${JOINER}`)
      .replace(/(?<=[\w.-]\/[\w.-]+)#(?=\d)|#(?=\u2060)/g, `#${JOINER}`)
      .replace(/!\[/g, '!&#91;')
  );
}

function oneLine(text: string): string {
  // Checkbox syntax too: a line can follow a list bullet Gantry writes (`- ${text}`).
  let out = prose(text.replace(/\r\n?|\n/g, ' ')).replace(CHECKBOX_START, '$1&#91;');
  // An unmatched backtick would open a code span that swallows Gantry's text after it.
  if (!backticksPaired(out)) out = out.replace(/`/g, '&#96;');
  // A final backslash would escape the `<` of a marker Gantry writes right after the text.
  return out.replace(/(?<!\\)((?:\\\\)*)\\$/, '$1&#92;');
}

/** Whether every backtick run has a closing run of the same length, as CommonMark pairs them. */
function backticksPaired(text: string): boolean {
  const runs = [...text.matchAll(/`+/g)].map((m) => m[0].length);
  for (let i = 0; i < runs.length; i++) {
    const close = runs.indexOf(runs[i]!, i + 1);
    if (close < 0) return false;
    i = close;
  }
  return true;
}

/** An opening code fence without its closing fence is broken, so it fences nothing. */
function closeFences(text: string): string {
  const lines = text.split('\n');
  let open: { line: number; char: string; length: number } | undefined;
  lines.forEach((line, i) => {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) return;
    const fence = m[1]!;
    if (!open) {
      if (fence[0] === '`' && m[2]!.includes('`')) return; // not a fence: backticks in its info
      open = { line: i, char: fence[0]!, length: fence.length };
    } else if (fence[0] === open.char && fence.length >= open.length && !m[2]!.trim())
      open = undefined;
  });
  if (open)
    lines[open.line] = lines[open.line]!.replace(open.char, open.char === '`' ? '&#96;' : '&#126;');
  return lines.join('\n');
}

/**
 * Line breaks, control, zero-width and bidi characters, and HTML comment delimiters make a
 * command render differently from what runs (or break Gantry's markers): such a command is
 * shown as a JSON string instead, every hidden character spelled out.
 */
const NEEDS_QUOTING =
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|<!--|-->/u;
const HIDDEN = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff<>]/gu;

function codeSpan(text: string): string {
  const quoted = NEEDS_QUOTING.test(text);
  const shown = quoted
    ? JSON.stringify(text).replace(
        HIDDEN,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      )
    : text;
  const longest = Math.max(0, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each side when both are there: pad so none is lost.
  const pad = /^[` ]|[` ]$/.test(shown) && /[^ ]/.test(shown) ? ' ' : '';
  const span = `${fence}${pad}${shown}${pad}${fence}`;
  return quoted ? `${span} (as a JSON string: it has line breaks or hidden characters)` : span;
}

/** Mermaid's own entity codes: a label can neither end its string nor close the code fence. */
function mermaidLabel(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(/[#"<>`&]/g, (c) => `#${c.charCodeAt(0)};`);
}
