/**
 * Whether a Node version (`v20.11.1`) matches what a repository declares: an `.nvmrc` or
 * `.node-version` (`20`, `v20.11`, `lts/iron`, `lts/*`, `node`) or `engines.node` (`>=18`,
 * `^20.1.0`, `~22`, `18.x || 20.x`, `>=18 <21`, `18 - 20`). Prereleases and build tags are not
 * compared; an unknown form matches nothing, so the caller says so instead of guessing.
 */
export function nodeMatches(version: string, declared: string): boolean {
  const v = parse(version);
  if (!v) return false;
  const spec = declared.trim().toLowerCase();
  if (spec === '' || spec === '*' || spec === 'node' || spec === 'latest' || spec === 'stable')
    return true;
  if (spec.startsWith('lts/')) {
    const name = spec.slice(4);
    if (name === '*') return v[0] >= 4 && v[0] % 2 === 0;
    return LTS[name] === v[0];
  }
  return spec.split('||').some((part) => range(part.trim()).every((test) => test(v)));
}

type Version = [number, number, number];
/** A partial version: `20` is `[20]`, `20.x` is `[20]` too. */
type Partial = number[];

const LTS: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

function parse(version: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function partial(text: string): Partial | undefined {
  const m = /^v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(?:[-+].*)?$/.exec(text);
  if (!m) return undefined;
  const out: number[] = [];
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined || p === 'x' || p === '*') break;
    out.push(Number(p));
  }
  return out;
}

function cmp(a: Version, b: Partial): number {
  for (let i = 0; i < 3; i++) {
    const d = a[i]! - (b[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** The first version past a partial one: `20` -> 21.0.0, `20.1` -> 20.2.0. */
function bump(p: Partial, at = p.length - 1): Partial {
  if (at < 0) return [Infinity];
  return [...p.slice(0, at), p[at]! + 1];
}

type Test = (v: Version) => boolean;

const never: Test = () => false;

/** The comparators of one `||` part, each a test. */
function range(part: string): Test[] {
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(part);
  if (hyphen) {
    const lo = partial(hyphen[1]!);
    const hi = partial(hyphen[2]!);
    if (!lo || !hi) return [never];
    return [(v) => cmp(v, lo) >= 0, hi.length === 3 ? (v) => cmp(v, hi) <= 0 : below(bump(hi))];
  }
  const words = part
    .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
    .split(/\s+/)
    .filter(Boolean);
  if (!words.length) return [() => true];
  return words.map(comparator);
}

function below(p: Partial): Test {
  return (v) => cmp(v, p) < 0;
}

function comparator(word: string): Test {
  const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(word)!;
  const op = m[1] ?? '';
  const p = partial(m[2]!);
  if (!p) return never;
  const atLeast: Test = (v) => cmp(v, p) >= 0;
  switch (op) {
    case '':
    case '=':
      return p.length === 3 ? (v) => cmp(v, p) === 0 : (v) => atLeast(v) && below(bump(p))(v);
    case '>=':
      return atLeast;
    case '>':
      return p.length === 3 ? (v) => cmp(v, p) > 0 : (v) => cmp(v, bump(p)) >= 0;
    case '<':
      return below(p);
    case '<=':
      return p.length === 3 ? (v) => cmp(v, p) <= 0 : below(bump(p));
    case '^': {
      // The first non-zero part may not change (^0.2.3 stays in 0.2).
      const lead = p.findIndex((n) => n !== 0);
      const upto = p.length === 0 ? [Infinity] : bump(p, lead === -1 ? p.length - 1 : lead);
      return (v) => atLeast(v) && below(upto)(v);
    }
    case '~':
      return (v) => atLeast(v) && below(bump(p, Math.min(p.length - 1, 1)))(v);
    default:
      return never;
  }
}
