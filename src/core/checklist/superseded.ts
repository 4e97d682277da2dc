import { PLAN_MARKER } from './markers.js';

export const SUPERSEDED_MARKER = '<!-- gantry:superseded -->';

const STATE_BLOCK = /\n?<!-- gantry:state\b[^]*?-->/g;
const HIDDEN = /<!-- \/?gantry:[^>]*-->/g;
const HELP = /<details><summary>Commands<\/summary>[^]*?<\/details>\n?/;
const BOX = /^(\s{0,3}[-*+]\s+)\[([ xX])\]/gm;

/**
 * An old plan comment after a replan: kept for the record, collapsed, without its state and
 * without live checkboxes (ticking them would do nothing, so they are not offered).
 */
export function supersededComment(oldBody: string, replacedBy = 'a new plan below'): string {
  const inner = oldBody
    .replace(/\r\n?/g, '\n')
    .replace(STATE_BLOCK, '')
    .replace(HELP, '')
    .replace(BOX, (_m, lead: string, tick: string) => `${lead}${tick === ' ' ? '☐' : '☑'}`)
    .replace(HIDDEN, '')
    .trim();
  const title = /^### (.*)$/m.exec(inner)?.[1] ?? 'Gantry plan';
  return [
    SUPERSEDED_MARKER,
    `<details><summary>${title.replace(/[<>]/g, '')} — replaced by ${replacedBy}</summary>`,
    '',
    inner,
    '',
    '</details>',
  ].join('\n');
}

/**
 * Whether a comment body is (or claims to be) a live plan comment: the marker anywhere, since a
 * person with write access may have typed text before it. Collapsed old plans have no marker.
 */
export function isPlanCommentBody(body: string): boolean {
  return body.includes(PLAN_MARKER);
}
