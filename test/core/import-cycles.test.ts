import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * No import cycle in src: a cycle hides which module is the lower layer and makes load order
 * matter. Type-only imports count too, because they state the same dependency to a reader.
 */
const src = join(import.meta.dirname, '../../src');

type Graph = ReadonlyMap<string, readonly string[]>;

const sourcesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourcesUnder(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );

/** Every relative import, re-export and dynamic import of every file, as paths under `root`. */
function importGraph(root: string): Graph {
  const files = sourcesUnder(root);
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      // preProcessFile reads the specifiers as the compiler does: strings in comments do not count.
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles
        .map((f) => f.fileName)
        .filter((s) => s.startsWith('.'))
        .map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
        .filter((t) => known.has(t))
        .map((t) => relative(root, t));
      return [relative(root, file), [...new Set(targets)].sort()];
    }),
  );
}

/**
 * One cycle per strongly connected component (Tarjan), written as the path that closes it, e.g.
 * `a.ts -> b.ts -> a.ts`, so the message names the imports to cut.
 */
function findCycles(graph: Graph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = new Set<string>();
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.add(w);
      if (w === v) break;
    }
    if (component.size > 1 || (graph.get(v) ?? []).includes(v))
      cycles.push(pathWithin(graph, component, v).join(' -> '));
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The shortest way from `start` back to itself inside one component (breadth first). */
function pathWithin(graph: Graph, component: ReadonlySet<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const between: string[] = [];
        for (let u = v; u !== start; u = cameFrom.get(u)!) between.unshift(u);
        return [start, ...between, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

describe('import cycles', () => {
  it('finds a cycle at any length and names its path', () => {
    const graph = new Map([
      ['errors.ts', ['planner.ts']],
      ['planner.ts', ['estimate.ts', 'core.ts']],
      ['estimate.ts', ['pricing.ts']],
      ['pricing.ts', ['errors.ts']],
      ['core.ts', []],
      ['self.ts', ['self.ts']],
    ]);
    expect(findCycles(graph)).toEqual([
      'errors.ts -> planner.ts -> estimate.ts -> pricing.ts -> errors.ts',
      'self.ts -> self.ts',
    ]);
  });

  it('finds none in a graph without one (a diamond is not a cycle)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts', 'c.ts']],
      ['b.ts', ['d.ts']],
      ['c.ts', ['d.ts']],
      ['d.ts', []],
    ]);
    expect(findCycles(graph)).toEqual([]);
  });

  it('reads the imports of src', () => {
    const graph = importGraph(src);
    expect(graph.get('action/index.ts')).toEqual(['action/main.ts']);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });

  it('src has no import cycle', () => {
    expect(findCycles(importGraph(src))).toEqual([]);
  });
});
