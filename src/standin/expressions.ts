/**
 * GitHub Actions expressions (`${{ ... }}`), as much as a task workflow needs: contexts
 * (`inputs.x`, `needs.agent.outputs.status`, `steps.id.outputs.y`), string, number and boolean
 * literals, `==` `!=` `!` `&&` `||`, parentheses, and the functions `fromJSON`, `toJSON`,
 * `always`, `success`, `failure` and `cancelled`. Anything else is an error that names the
 * expression, so a workflow the stand-in cannot run says why instead of running wrongly.
 */

export interface JobStatus {
  /** A step (or a needed job) before this one failed. */
  failed: boolean;
  cancelled: boolean;
  /** Every needed job succeeded (false when one failed or was skipped): part of `success()`. */
  needsOk?: boolean;
}

const succeeded = (s: JobStatus) => !s.failed && !s.cancelled && s.needsOk !== false;

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

type Token = { kind: 'num' | 'str' | 'op' | 'id'; text: string };

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|'((?:[^']|'')*)'|(==|!=|&&|\|\||[!().,[\]])|([A-Za-z_][\w-]*))/y;

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    if (/^\s*$/.test(expr.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) throw new ExpressionError(`cannot read \`${expr}\` at "${expr.slice(at)}"`);
    if (m[1] !== undefined) out.push({ kind: 'num', text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: 'str', text: m[2].replaceAll("''", "'") });
    else if (m[3] !== undefined) out.push({ kind: 'op', text: m[3] });
    else out.push({ kind: 'id', text: m[4]! });
  }
  return out;
}

const truthy = (v: unknown) =>
  !(v === false || v === 0 || v === '' || v === null || v === undefined);

/** GitHub's `==`: strings without regard to case; different types compared as numbers. */
function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  const x = a ?? null;
  const y = b ?? null;
  if (typeof x === typeof y && (x === null) === (y === null)) return x === y;
  return toNumber(x) === toNumber(y);
}

function toNumber(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

export function evaluate(expr: string, ctx: Record<string, unknown>, status: JobStatus): unknown {
  const tokens = tokenize(expr);
  let i = 0;
  /** False while reading the operand a short circuit skips: nothing is looked up or called. */
  let live = true;
  const skipping = <T>(skip: boolean, read: () => T): T => {
    const was = live;
    live = was && !skip;
    try {
      return read();
    } finally {
      live = was;
    }
  };
  const peek = (text: string) => tokens[i]?.kind === 'op' && tokens[i]!.text === text;
  const expect = (text: string) => {
    if (!peek(text)) throw new ExpressionError(`\`${expr}\`: expected "${text}"`);
    i++;
  };
  const functions: Record<string, (args: unknown[]) => unknown> = {
    fromjson: ([v]) => {
      try {
        return JSON.parse(asText(v)) as unknown;
      } catch (e) {
        throw new ExpressionError(
          `\`${expr}\`: fromJSON of a value that is not JSON (${(e as Error).message})`,
        );
      }
    },
    tojson: ([v]) => JSON.stringify(v, null, 2),
    always: () => true,
    success: () => succeeded(status),
    failure: () => status.failed,
    cancelled: () => status.cancelled,
  };

  const or = (): unknown => {
    let v = and();
    while (peek('||')) {
      i++;
      const done = truthy(v);
      const right = skipping(done, and);
      if (!done) v = right;
    }
    return v;
  };
  const and = (): unknown => {
    let v = cmp();
    while (peek('&&')) {
      i++;
      const go = truthy(v);
      const right = skipping(!go, cmp);
      if (go) v = right;
    }
    return v;
  };
  const cmp = (): unknown => {
    const left = unary();
    if (peek('==') || peek('!=')) {
      const op = tokens[i++]!.text;
      const same = equal(left, unary());
      return op === '==' ? same : !same;
    }
    return left;
  };
  const unary = (): unknown => {
    if (peek('!')) {
      i++;
      return !truthy(unary());
    }
    return postfix();
  };
  const postfix = (): unknown => {
    let v = primary();
    for (;;) {
      if (peek('.')) {
        i++;
        const t = tokens[i++];
        if (t?.kind !== 'id') throw new ExpressionError(`\`${expr}\`: expected a name after "."`);
        v = prop(v, t.text);
      } else if (peek('[')) {
        i++;
        const key = or();
        expect(']');
        v = prop(v, String(key));
      } else return v;
    }
  };
  const primary = (): unknown => {
    const t = tokens[i++];
    if (!t) throw new ExpressionError(`\`${expr}\` ends too early`);
    if (t.kind === 'num') return Number(t.text);
    if (t.kind === 'str') return t.text;
    if (t.kind === 'op' && t.text === '(') {
      const v = or();
      expect(')');
      return v;
    }
    if (t.kind !== 'id') throw new ExpressionError(`\`${expr}\`: unexpected "${t.text}"`);
    if (t.text === 'true' || t.text === 'false') return t.text === 'true';
    if (t.text === 'null') return null;
    if (peek('(')) {
      i++;
      const args: unknown[] = [];
      while (!peek(')')) {
        args.push(or());
        if (peek(',')) i++;
      }
      i++;
      const fn = functions[t.text.toLowerCase()];
      if (!fn) throw new ExpressionError(`\`${expr}\`: the stand-in has no function ${t.text}()`);
      return live ? fn(args) : null;
    }
    if (!(t.text in ctx))
      throw new ExpressionError(`\`${expr}\`: the stand-in has no context \`${t.text}\``);
    return live ? ctx[t.text] : null;
  };

  const value = or();
  if (i !== tokens.length)
    throw new ExpressionError(`\`${expr}\`: unexpected "${tokens[i]!.text}"`);
  return value;
}

function prop(v: unknown, key: string): unknown {
  if (v === null || typeof v !== 'object') return null;
  return (v as Record<string, unknown>)[key] ?? null;
}

function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : `${v as number | boolean}`;
}

/** A workflow value with `${{ }}` in it, as text. */
export function interpolate(text: string, ctx: Record<string, unknown>, status: JobStatus): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => asText(evaluate(e, ctx, status)));
}

/** An `if:` (with or without `${{ }}`); none means `success()`, as on GitHub. */
export function condition(
  text: string | boolean | undefined,
  ctx: Record<string, unknown>,
  status: JobStatus,
): boolean {
  if (text === undefined || text === null) return succeeded(status);
  const inner =
    typeof text === 'boolean'
      ? String(text)
      : (/^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text)?.[1] ?? text);
  // GitHub adds success() to a condition without a status function.
  const v = truthy(evaluate(inner, ctx, status));
  return /\b(always|failure|cancelled|success)\s*\(/i.test(inner) ? v : v && succeeded(status);
}
