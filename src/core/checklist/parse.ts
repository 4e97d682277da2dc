import type { GoalState } from '../goal.js';
import { fromInert } from '../inert.js';
import { START_MARKER, TITLE_END } from './markers.js';
import { decodeState, type StateBlockError } from './signed-state.js';

export interface ParsedPlanComment {
  /** Tick of each task line, found by its hidden id. */
  ticks: Map<string, boolean>;
  /** Ids that appear on more than one checkbox line: their ticks are not trusted. */
  ambiguous: Set<string>;
  /** The Start box, when its line is present. */
  start: boolean | undefined;
  titles: Map<string, string>;
  descriptions: Map<string, string>;
  state: { ok: true; state: GoalState } | { ok: false; error: StateBlockError };
}

const CHECKBOX = /^\s{0,3}[-*+]\s+\[([ xX])\]/;
const TASK_ID = /<!-- gantry:task=(T[1-9]\d{0,3}) -->/;
const DESC = /<!-- gantry:desc=(T[1-9]\d{0,3}) -->\r?\n([\s\S]*?)\r?\n<!-- \/gantry:desc -->/g;

/** Read a plan comment as a person may have edited it: CRLF, moved lines, changed text. */
export function parsePlanComment(
  body: string,
  key: string,
  expect?: { repo: string; issue: number },
): ParsedPlanComment {
  const ticks = new Map<string, boolean>();
  const ambiguous = new Set<string>();
  const titles = new Map<string, string>();
  let start: boolean | undefined;
  let startLines = 0;
  for (const line of body.split(/\r?\n|\r/)) {
    const box = CHECKBOX.exec(line);
    if (!box) continue;
    const ticked = box[1] !== ' ';
    if (line.includes(START_MARKER)) {
      startLines++;
      start = startLines === 1 && ticked;
      continue;
    }
    const id = TASK_ID.exec(line)?.[1];
    if (!id) continue;
    if (ticks.has(id)) ambiguous.add(id);
    ticks.set(id, ticked);
    const title = titleOf(line, id);
    if (title !== undefined) titles.set(id, title);
  }
  for (const id of ambiguous) {
    ticks.delete(id);
    titles.delete(id);
  }
  const descriptions = new Map<string, string>();
  for (const m of body.matchAll(DESC))
    descriptions.set(m[1]!, fromInert(m[2]!.replace(/\r\n?/g, '\n').trim()));
  return {
    ticks,
    ambiguous,
    start: startLines > 1 ? false : start,
    titles,
    descriptions,
    state: decodeState(body, key, expect),
  };
}

function titleOf(line: string, id: string): string | undefined {
  const open = `**${id}**`;
  const from = line.indexOf(open);
  const to = line.indexOf(TITLE_END);
  if (from < 0 || to < from) return undefined;
  const title = line.slice(from + open.length, to).trim();
  // The comment shows titles made inert: read back the text a person sees and edits.
  return title ? fromInert(title) : undefined;
}

export interface PlanCommentDiff {
  approvals: { taskId: string; approved: boolean }[];
  /** The Start box went from unticked to ticked. */
  start: boolean;
  edits: { taskId: string; title?: string; description?: string }[];
}

/**
 * What a person changed between two versions of the plan comment (`changes.body.from` and the
 * new body). Only boxes whose tick changed count, so an edit elsewhere never approves a task.
 */
export function diffPlanComment(
  before: ParsedPlanComment,
  after: ParsedPlanComment,
  knownIds?: ReadonlySet<string>,
): PlanCommentDiff {
  const known = (id: string) => !knownIds || knownIds.has(id);
  const approvals: PlanCommentDiff['approvals'] = [];
  for (const [id, ticked] of after.ticks) {
    const was = before.ticks.get(id);
    if (known(id) && was !== undefined && was !== ticked)
      approvals.push({ taskId: id, approved: ticked });
  }
  const edits = new Map<string, { taskId: string; title?: string; description?: string }>();
  const edit = (id: string) => edits.get(id) ?? edits.set(id, { taskId: id }).get(id)!;
  for (const [id, title] of after.titles) {
    const was = before.titles.get(id);
    if (known(id) && was !== undefined && was !== title) edit(id).title = title;
  }
  for (const [id, text] of after.descriptions) {
    const was = before.descriptions.get(id);
    if (known(id) && was !== undefined && was !== text) edit(id).description = text;
  }
  return {
    approvals,
    start: before.start === false && after.start === true,
    edits: [...edits.values()],
  };
}
