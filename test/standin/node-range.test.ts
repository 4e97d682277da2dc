import { describe, expect, it } from 'vitest';
import { nodeMatches } from '../../src/standin/node-range.js';

describe('a Node version against what a repository declares', () => {
  it.each([
    ['v20.11.1', '20', true],
    ['v20.11.1', 'v20.11', true],
    ['v20.11.1', '20.11.0', false],
    ['v20.11.1', '>=18', true],
    ['v16.20.0', '>=18', false],
    ['v20.11.1', '^20.1.0', true],
    ['v21.0.0', '^20.1.0', false],
    ['v22.3.0', '~22', true],
    ['v22.3.0', '~22.2.0', false],
    ['v20.1.0', '18.x || 20.x', true],
    ['v19.1.0', '18.x || 20.x', false],
    ['v20.9.9', '>=18 <21', true],
    ['v21.0.0', '>=18 <21', false],
    ['v20.0.0', '18 - 20', true],
    ['v21.0.0', '18 - 20', false],
    ['v20.0.0', '>= 18', true],
    ['v20.0.0', 'lts/iron', true],
    ['v22.0.0', 'lts/*', true],
    ['v23.0.0', 'lts/*', false],
    ['v23.0.0', 'node', true],
    ['v20.0.0', 'not a version', false],
  ])('%s matches %s: %s', (version, declared, expected) => {
    expect(nodeMatches(version, declared)).toBe(expected);
  });
});
