import { data, Evaluator, Lexer, Parser, type Expr } from '@actions/expressions';
import {
  Binary,
  FunctionCall,
  Grouping,
  IndexAccess,
  Logical,
  Unary,
} from '@actions/expressions/ast';
import { truthy } from '@actions/expressions/result';

/**
 * GitHub Actions expressions (`${{ ... }}` and `if:`), evaluated by GitHub's own library
 * (`@actions/expressions`, from actions/languageservices): its lexer, parser, operators, type
 * coercion and built-in functions (`contains`, `startsWith`, `endsWith`, `format`, `join`,
 * `toJSON`, `fromJSON`). The stand-in adds what the library leaves to the runner: the contexts of
 * the place being evaluated and the status functions `success()`, `failure()`, `always()` and
 * `cancelled()` from the job's state. A context or function the stand-in does not supply (e.g.
 * `hashFiles`) is an error that names the expression, so a workflow it cannot run says why
 * instead of running wrongly.
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

/** The runner's status functions, which the library leaves to its host. */
function statusFunctions(status: JobStatus) {
  const fn = (name: string, value: () => boolean) => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value()),
  });
  return [
    fn('success', () => succeeded(status)),
    fn('failure', () => status.failed),
    fn('always', () => true),
    fn('cancelled', () => status.cancelled),
  ];
}
const STATUS_NAMES = new Set(['success', 'failure', 'always', 'cancelled']);

/** The contexts as the library's data: objects are case-insensitive dictionaries, as on GitHub. */
function toData(v: unknown): data.ExpressionData {
  if (v === null || v === undefined) return new data.Null();
  if (typeof v === 'string') return new data.StringData(v);
  if (typeof v === 'number' || typeof v === 'bigint') return new data.NumberData(Number(v));
  if (typeof v === 'boolean') return new data.BooleanData(v);
  if (Array.isArray(v)) return new data.Array(...v.map(toData));
  if (typeof v === 'object')
    return new data.Dictionary(
      ...Object.entries(v).map(([key, value]) => ({ key, value: toData(value) })),
    );
  return new data.Null(); // a function or a symbol is no data a context can hold
}

const fromData = (d: data.ExpressionData): unknown =>
  JSON.parse(JSON.stringify(d, data.replacer)) as unknown;

/** Parsed against the contexts `ctx` has: another context is GitHub's "Unrecognized named-value". */
function parse(expr: string, ctx: Record<string, unknown>, status: JobStatus): Expr {
  const tree = guard(expr, () =>
    new Parser(new Lexer(expr).lex().tokens, Object.keys(ctx), statusFunctions(status)).parse(),
  );
  // The parser returns nothing for an empty expression; GitHub refuses one.
  if (!(tree as Expr | undefined)) throw new ExpressionError(`\`${expr}\`: empty expression`);
  return tree;
}

function run(expr: string, ctx: Record<string, unknown>, status: JobStatus) {
  const tree = parse(expr, ctx, status);
  const functions = new Map(statusFunctions(status).map((f) => [f.name, f]));
  const value = guard(expr, () =>
    new Evaluator(tree, toData(ctx) as data.Dictionary, functions).evaluate(),
  );
  return { tree, value };
}

function guard<T>(expr: string, go: () => T): T {
  try {
    return go();
  } catch (e) {
    throw new ExpressionError(`\`${expr.trim()}\`: ${(e as Error).message}`, { cause: e });
  }
}

/** The value of an expression, as plain data (`null` for GitHub's null). */
export function evaluate(expr: string, ctx: Record<string, unknown>, status: JobStatus): unknown {
  return fromData(run(expr, ctx, status).value);
}

/**
 * A workflow value with `${{ }}` in it, as text (objects and arrays read `Object`/`Array`, as on
 * GitHub). An expression ends at the first `}}` outside a string literal, so
 * `${{ format('{{0}}', x) }}` is one expression, as GitHub's template reader has it.
 */
export function interpolate(text: string, ctx: Record<string, unknown>, status: JobStatus): string {
  let out = '';
  let at = 0;
  for (let open = text.indexOf('${{'); open !== -1; open = text.indexOf('${{', at)) {
    let i = open + 3;
    let quoted = false;
    while (i < text.length && (quoted || !text.startsWith('}}', i))) {
      if (text[i] === "'") quoted = !quoted;
      i++;
    }
    if (i >= text.length)
      throw new ExpressionError(`\`${text.slice(open)}\`: the expression is not closed with }}`);
    out += text.slice(at, open) + run(text.slice(open + 3, i), ctx, status).value.coerceString();
    at = i + 2;
  }
  return out + text.slice(at);
}

/** Whether the expression calls a status function anywhere in it. */
function callsStatus(e: Expr): boolean {
  if (e instanceof FunctionCall)
    return STATUS_NAMES.has(e.functionName.lexeme.toLowerCase()) || e.args.some(callsStatus);
  if (e instanceof Logical) return e.args.some(callsStatus);
  if (e instanceof Binary) return callsStatus(e.left) || callsStatus(e.right);
  if (e instanceof Unary) return callsStatus(e.expr);
  if (e instanceof Grouping) return callsStatus(e.group);
  if (e instanceof IndexAccess) return callsStatus(e.expr) || callsStatus(e.index);
  return false;
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
  const { tree, value } = run(inner, ctx, status);
  // GitHub adds success() to a condition that calls no status function.
  return truthy(value) && (callsStatus(tree) || succeeded(status));
}
