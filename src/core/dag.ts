/** A node as the DAG needs it: tasks satisfy this shape. */
export interface DagNode {
  readonly id: string;
  readonly dependsOn: readonly string[];
  readonly estimate?: number;
}

export class DagError extends Error {
  constructor(
    readonly code: 'duplicate-id' | 'unknown-dependency' | 'self-dependency' | 'cycle',
    readonly taskId: string,
    message: string,
    readonly cycle?: readonly string[],
  ) {
    super(message);
    this.name = 'DagError';
  }
}

/**
 * An immutable dependency graph over node indexes. Construction refuses duplicate ids, unknown
 * and self dependencies and cycles (quoting the cycle path). Everything is O(V + E).
 */
export class Dag {
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** deps[i]: indexes node i depends on. */
  readonly deps: readonly (readonly number[])[];
  /** dependents[i]: indexes that depend on node i. */
  readonly dependents: readonly (readonly number[])[];
  readonly estimates: readonly number[];
  private cachedOrder: number[] | undefined;

  private constructor(nodes: readonly DagNode[]) {
    const index = new Map<string, number>();
    nodes.forEach((n, i) => {
      if (index.has(n.id)) throw new DagError('duplicate-id', n.id, `${n.id} is defined twice`);
      index.set(n.id, i);
    });
    const deps: number[][] = [];
    const dependents: number[][] = nodes.map(() => []);
    nodes.forEach((n, i) => {
      const mine: number[] = [];
      for (const d of new Set(n.dependsOn)) {
        if (d === n.id) throw new DagError('self-dependency', n.id, `${n.id} depends on itself`);
        const j = index.get(d);
        if (j === undefined)
          throw new DagError(
            'unknown-dependency',
            n.id,
            `${n.id} depends on ${d}, which is not in the plan`,
          );
        mine.push(j);
        dependents[j]?.push(i);
      }
      deps.push(mine);
    });
    this.ids = nodes.map((n) => n.id);
    this.index = index;
    this.deps = deps;
    this.dependents = dependents;
    this.estimates = nodes.map((n) => n.estimate ?? 1);
    const cycle = this.findCycle();
    if (cycle) {
      const path = cycle.map((i) => this.ids[i]).join(' -> ');
      throw new DagError(
        'cycle',
        this.ids[cycle[0] ?? 0] ?? '',
        `dependency cycle: ${path}`,
        path.split(' -> '),
      );
    }
  }

  static of(nodes: readonly DagNode[]): Dag {
    return new Dag(nodes);
  }

  get size(): number {
    return this.ids.length;
  }

  id(i: number): string {
    const id = this.ids[i];
    if (id === undefined) throw new RangeError(`no node at index ${i}`);
    return id;
  }

  /** The first cycle found by an iterative DFS, as a closed path of indexes (first = last). */
  private findCycle(): number[] | undefined {
    const WHITE = 0;
    const GREY = 1;
    const BLACK = 2;
    const colour = new Uint8Array(this.ids.length);
    for (let root = 0; root < this.ids.length; root++) {
      if (colour[root] !== WHITE) continue;
      const stack: { node: number; next: number }[] = [{ node: root, next: 0 }];
      colour[root] = GREY;
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const out = this.deps[top.node]!;
        if (top.next < out.length) {
          const child = out[top.next++]!;
          if (colour[child] === GREY) {
            const from = stack.findIndex((f) => f.node === child);
            return [...stack.slice(from).map((f) => f.node), child];
          }
          if (colour[child] === WHITE) {
            colour[child] = GREY;
            stack.push({ node: child, next: 0 });
          }
        } else {
          colour[top.node] = BLACK;
          stack.pop();
        }
      }
    }
    return undefined;
  }

  /** Kahn's algorithm; ties keep plan order, so the order is deterministic. */
  topoOrder(): readonly number[] {
    if (this.cachedOrder) return this.cachedOrder;
    const unmet = this.deps.map((d) => d.length);
    const order: number[] = [];
    for (let i = 0; i < unmet.length; i++) if (unmet[i] === 0) order.push(i);
    for (let k = 0; k < order.length; k++) order.push(...releaseDependents(this, unmet, order[k]!));
    this.cachedOrder = order;
    return order;
  }

  topoIds(): string[] {
    return this.topoOrder().map((i) => this.id(i));
  }

  /** Waves: wave k holds the nodes whose longest dependency chain has k edges. */
  waves(): string[][] {
    const level = new Array<number>(this.size).fill(0);
    const waves: string[][] = [];
    for (const i of this.topoOrder()) {
      for (const d of this.deps[i]!) level[i] = Math.max(level[i]!, level[d]! + 1);
      (waves[level[i]!] ??= []).push(this.id(i));
    }
    return waves;
  }

  /**
   * rank[i]: the heaviest path from node i to a sink, counting i itself. With weight = estimate
   * this is the critical-path priority used by the scheduler.
   */
  ranks(weight: (i: number) => number = (i) => this.estimates[i]!): number[] {
    const rank = new Array<number>(this.size).fill(0);
    const order = this.topoOrder();
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k]!;
      let best = 0;
      for (const d of this.dependents[i]!) best = Math.max(best, rank[d]!);
      rank[i] = best + weight(i);
    }
    return rank;
  }

  /** The heaviest dependency chain and its length, by estimate unless another weight is given. */
  criticalPath(weight: (i: number) => number = (i) => this.estimates[i]!): {
    ids: string[];
    length: number;
  } {
    // rank[i] as in ranks(), with the dependent that gave it, so the path is followed exactly
    // (no float comparison of sums).
    const rank = new Array<number>(this.size).fill(0);
    const next = new Array<number>(this.size).fill(-1);
    const order = this.topoOrder();
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k]!;
      for (const d of this.dependents[i]!)
        if (next[i] === -1 || rank[d]! > rank[next[i]!]!) next[i] = d;
      rank[i] = (next[i] === -1 ? 0 : rank[next[i]!]!) + weight(i);
    }
    let start = -1;
    for (let i = 0; i < this.size; i++) if (start < 0 || rank[i]! > rank[start]!) start = i;
    if (start < 0) return { ids: [], length: 0 };
    const ids: string[] = [];
    for (let at = start; at !== -1; at = next[at]!) ids.push(this.id(at));
    return { ids, length: rank[start]! };
  }

  /** Every node reachable through dependents of `from` (not including `from`), breadth first. */
  transitiveDependents(from: number): number[] {
    const seen = new Set<number>();
    const queue = [...this.dependents[from]!];
    for (let k = 0; k < queue.length; k++) {
      const i = queue[k]!;
      if (seen.has(i)) continue;
      seen.add(i);
      queue.push(...this.dependents[i]!);
    }
    return [...seen];
  }
}

/**
 * Mark node `done` finished: decrement its dependents' unmet-dependency counters in place and
 * return the ones that just reached zero. Costs O(out-degree of `done`).
 */
export function releaseDependents(dag: Dag, unmet: number[], done: number): number[] {
  const ready: number[] = [];
  for (const d of dag.dependents[done]!) {
    const left = unmet[d]! - 1;
    unmet[d] = left;
    if (left === 0) ready.push(d);
  }
  return ready;
}

export type NodeState = 'waiting' | 'ready' | 'running' | 'done' | 'failed' | 'blocked';

/**
 * The ready set of a DAG under execution. `complete` costs O(out-degree); `fail` blocks the
 * transitive dependents (each node is blocked at most once) while independent branches go on.
 */
export class ReadySet {
  private readonly unmet: number[];
  private readonly state: NodeState[];
  private readonly readyNow = new Set<number>();
  private readonly blockedBy = new Map<number, number>();
  private running = 0;
  private finished = 0;

  constructor(private readonly dag: Dag) {
    this.unmet = dag.deps.map((d) => d.length);
    this.state = this.unmet.map((n) => (n === 0 ? 'ready' : 'waiting'));
    this.state.forEach((s, i) => s === 'ready' && this.readyNow.add(i));
  }

  ready(): string[] {
    return [...this.readyNow].map((i) => this.dag.id(i));
  }

  readyIndexes(): ReadonlySet<number> {
    return this.readyNow;
  }

  stateOf(id: string): NodeState {
    return this.state[this.at(id)]!;
  }

  blocked(): string[] {
    return [...this.blockedBy.keys()].map((i) => this.dag.id(i));
  }

  start(id: string): void {
    const i = this.at(id);
    if (this.state[i] !== 'ready') throw new Error(`${id} is ${this.state[i]}, not ready`);
    this.readyNow.delete(i);
    this.state[i] = 'running';
    this.running++;
  }

  /** Returns the ids that became ready. */
  complete(id: string): string[] {
    const i = this.settle(id, 'done');
    const now = releaseDependents(this.dag, this.unmet, i).filter(
      (d) => this.state[d] === 'waiting',
    );
    for (const d of now) {
      this.state[d] = 'ready';
      this.readyNow.add(d);
    }
    return now.map((d) => this.dag.id(d));
  }

  /** Returns the ids that became blocked. */
  fail(id: string): string[] {
    const i = this.settle(id, 'failed');
    const blocked: number[] = [];
    for (const d of this.dag.transitiveDependents(i)) {
      if (this.state[d] === 'waiting' || this.state[d] === 'ready') {
        this.state[d] = 'blocked';
        this.readyNow.delete(d);
        this.blockedBy.set(d, i);
        blocked.push(d);
      }
    }
    return blocked.map((d) => this.dag.id(d));
  }

  /**
   * Deadlock detection: nothing running, nothing ready, yet not everything finished. The
   * reasons name each unfinished node and what holds it.
   */
  stalled(): { stalled: boolean; reasons: string[] } {
    if (this.running > 0 || this.readyNow.size > 0 || this.finished === this.dag.size)
      return { stalled: false, reasons: [] };
    const reasons = [...this.blockedBy].map(
      ([d, by]) => `${this.dag.id(d)} is blocked: ${this.dag.id(by)} failed`,
    );
    return { stalled: true, reasons };
  }

  private settle(id: string, to: 'done' | 'failed'): number {
    const i = this.at(id);
    if (this.state[i] !== 'running') throw new Error(`${id} is ${this.state[i]}, not running`);
    this.state[i] = to;
    this.running--;
    this.finished++;
    return i;
  }

  private at(id: string): number {
    const i = this.dag.index.get(id);
    if (i === undefined) throw new Error(`unknown node ${id}`);
    return i;
  }
}
