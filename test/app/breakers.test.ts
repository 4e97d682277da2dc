import { describe, expect, it } from 'vitest';
import { BreakerBook } from '../../src/app/breakers.js';

const settings = { threshold: 2, cooldownMs: 60_000 };

describe('BreakerBook', () => {
  it('opens after consecutive failures of a repository, and the global gate is the stricter', () => {
    const book = new BreakerBook({ threshold: 3, cooldownMs: 60_000 });
    book.record('o/a', false, 0, settings);
    expect(book.gate('o/a', 1, settings)).toBe('closed');
    book.record('o/a', false, 1, settings);
    expect(book.gate('o/a', 2, settings)).toBe('open');
    expect(book.gate('o/b', 2, settings)).toBe('closed');
    book.record('o/b', false, 2, settings);
    // Three failures across repositories open the global breaker for every one of them.
    expect(book.gate('o/c', 3, settings)).toBe('open');
  });

  it('counts an outcome reported again under the same key once', () => {
    const book = new BreakerBook();
    book.record('o/a', false, 0, settings, 'o/a#g1:outcome:G1:T1:a1');
    book.record('o/a', false, 1, settings, 'o/a#g1:outcome:G1:T1:a1');
    expect(book.gate('o/a', 2, settings)).toBe('closed');
    book.record('o/a', false, 2, settings, 'o/a#g1:outcome:G1:T2:a1');
    expect(book.gate('o/a', 3, settings)).toBe('open');
  });
});
