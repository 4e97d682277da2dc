/**
 * The deterministic key of one piece of work a goal owes, such as `dispatch:G42:T3:a2`. The same
 * work always gets the same key, so a shell that carried out a key in a pass does not do it again,
 * and work derived again after a crash is recognised as the same work.
 */
export const EFFECT_KINDS = [
  'branch',
  'dispatch',
  'collect',
  'land',
  'judge',
  'judge-base',
  'reset',
  'advance',
  'drop-refs',
  'recover',
  'escalate',
  'outcome',
  'cancel',
  'pr',
  'pr-body',
  'pr-ready',
  'comment',
  'labels',
] as const;
export type EffectKind = (typeof EFFECT_KINDS)[number];

export interface EffectKeyParts {
  task?: string | undefined;
  attempt?: number | undefined;
  /** The landing sequence number. */
  n?: number | undefined;
  revision?: number | undefined;
  sha?: string | undefined;
  /** Free text without colons (labels). */
  tag?: string | undefined;
}

const KIND = new Set<string>(EFFECT_KINDS);

export class EffectKey {
  constructor(
    readonly kind: EffectKind,
    readonly issue: number,
    readonly parts: EffectKeyParts = {},
  ) {}

  static parse(text: string): EffectKey | undefined {
    const [kind, goal, ...rest] = text.split(':');
    const issue = /^G([1-9]\d*)$/.exec(goal ?? '')?.[1];
    if (!kind || !KIND.has(kind) || !issue) return undefined;
    const parts: EffectKeyParts = {};
    for (const seg of rest) {
      const m = /^(T[1-9]\d*)$|^a([1-9]\d*)$|^n(\d+)$|^r(\d+)$|^@([0-9a-zA-Z]+)$|^#(.*)$/.exec(seg);
      if (!m) return undefined;
      if (m[1]) parts.task = m[1];
      else if (m[2]) parts.attempt = Number(m[2]);
      else if (m[3]) parts.n = Number(m[3]);
      else if (m[4]) parts.revision = Number(m[4]);
      else if (m[5]) parts.sha = m[5];
      else parts.tag = m[6];
    }
    const key = new EffectKey(kind as EffectKind, Number(issue), parts);
    return key.toString() === text ? key : undefined;
  }

  toString(): string {
    const p = this.parts;
    return [
      this.kind,
      `G${this.issue}`,
      p.task,
      p.attempt === undefined ? undefined : `a${p.attempt}`,
      p.n === undefined ? undefined : `n${p.n}`,
      p.revision === undefined ? undefined : `r${p.revision}`,
      p.sha === undefined ? undefined : `@${p.sha}`,
      p.tag === undefined ? undefined : `#${p.tag.replace(/:/g, '')}`,
    ]
      .filter((x) => x !== undefined)
      .join(':');
  }
}

/** The key of `kind` work for goal `issue`, as text. */
export function effectKey(kind: EffectKind, issue: number, parts?: EffectKeyParts): string {
  return new EffectKey(kind, issue, parts).toString();
}
