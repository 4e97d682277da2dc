import { describe, expect, it } from 'vitest';
import { clip } from '../../src/core/draft.js';

describe('clip', () => {
  it('keeps text that fits, and cuts longer text at the last space near the end, never mid-word', () => {
    expect(clip('short', 10)).toBe('short');
    const guidance = 'greet() says "Hello, <name>!"; test for exactly that greeting';
    const cut = clip(guidance, 50);
    expect(cut).toBe('greet() says "Hello, <name>!"; test for exactly…');
    expect(cut.length).toBeLessThanOrEqual(50);
    // One long word has no space near the end: cut at the limit.
    expect(clip('x'.repeat(30), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
