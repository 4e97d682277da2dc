/** Hidden markers that tie comment lines to tasks; parsing relies on them, never on visible text. */
export const PLAN_MARKER = '<!-- gantry:plan -->';
export const START_MARKER = '<!-- gantry:start -->';
export const TITLE_END = '<!-- /gantry:title -->';
export const DESC_END = '<!-- /gantry:desc -->';
export const taskMarker = (id: string) => `<!-- gantry:task=${id} -->`;
export const descMarker = (id: string) => `<!-- gantry:desc=${id} -->`;

/** GitHub's limit on a comment body (a longer one is refused with 422). */
export const COMMENT_LIMIT = 65_536;
