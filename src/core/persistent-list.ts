/** Items per chunk: a write copies one chunk and the chunk directory, never the whole list. */
const CHUNK = 64;

/**
 * An immutable list in chunks of 64 (the goal's task runs): a step that changes one item costs
 * O(n / 64 + 64), not a copy of the list. Chunk k always holds items 64k..64k+63, so equal lists
 * have equal structure. It is written to JSON as a plain array (`toJSON`) and read back with
 * `PersistentList.from`.
 */
export class PersistentList<T> implements Iterable<T> {
  static empty<T>(): PersistentList<T> {
    return new PersistentList<T>([], 0);
  }

  private constructor(
    private readonly chunks: readonly (readonly T[])[],
    readonly length: number,
  ) {}

  static from<T>(items: readonly T[]): PersistentList<T> {
    const chunks: T[][] = [];
    for (let k = 0; k < items.length; k += CHUNK) chunks.push(items.slice(k, k + CHUNK));
    return new PersistentList(chunks, items.length);
  }

  at(i: number): T | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    return this.chunks[Math.floor(i / CHUNK)]![i % CHUNK];
  }

  /** A list with task `i` replaced; every other chunk is shared with this one. */
  with(i: number, task: T): PersistentList<T> {
    if (!Number.isInteger(i) || i < 0 || i >= this.length)
      throw new RangeError(`no item at index ${i}`);
    const c = Math.floor(i / CHUNK);
    const chunk = this.chunks[c]!.slice();
    chunk[i % CHUNK] = task;
    const chunks = this.chunks.slice();
    chunks[c] = chunk;
    return new PersistentList(chunks, this.length);
  }

  /** A list with `tasks` added at the end. */
  concat(tasks: readonly T[]): PersistentList<T> {
    if (tasks.length === 0) return this;
    return PersistentList.from([...this, ...tasks]);
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  *entries(): IterableIterator<[number, T]> {
    let i = 0;
    for (const t of this) yield [i++, t];
  }

  forEach(f: (t: T, i: number) => void): void {
    let i = 0;
    for (const t of this) f(t, i++);
  }

  map<U>(f: (t: T, i: number) => U): U[] {
    const out: U[] = [];
    this.forEach((t, i) => out.push(f(t, i)));
    return out;
  }

  flatMap<U>(f: (t: T, i: number) => U | readonly U[]): U[] {
    return this.map(f).flat() as U[];
  }

  filter(f: (t: T, i: number) => boolean): T[] {
    const out: T[] = [];
    this.forEach((t, i) => f(t, i) && out.push(t));
    return out;
  }

  findIndex(f: (t: T, i: number) => boolean): number {
    let i = 0;
    for (const t of this) {
      if (f(t, i)) return i;
      i++;
    }
    return -1;
  }

  some(f: (t: T, i: number) => boolean): boolean {
    return this.findIndex(f) >= 0;
  }

  every(f: (t: T, i: number) => boolean): boolean {
    return this.findIndex((t, i) => !f(t, i)) < 0;
  }

  toArray(): T[] {
    return [...this];
  }

  /** The signed state holds a plain array. */
  toJSON(): T[] {
    return this.toArray();
  }
}
