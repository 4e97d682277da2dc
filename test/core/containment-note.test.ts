import { describe, expect, it } from 'vitest';
import { containmentNote } from '../../src/core/containment-note.js';

const refused = (destination: string, count: number) => ({ destination, count });

describe('the containment note of an attempt', () => {
  it('says nothing when nothing was refused, or the result predates containment', () => {
    expect(containmentNote(undefined)).toBeUndefined();
    expect(
      containmentNote({ isolated: true, egressRefused: [], gatewayRefused: 0 }),
    ).toBeUndefined();
    expect(
      containmentNote({ isolated: false, egressRefused: [], gatewayRefused: 0 }),
    ).toBeUndefined();
  });

  it('names the refused destinations with their counts, and the gateway refusals', () => {
    expect(
      containmentNote({
        isolated: true,
        egressRefused: [refused('registry.evil.example:443', 3)],
        gatewayRefused: 0,
      }),
    ).toBe('the network refused registry.evil.example:443 (3 times)');
    expect(
      containmentNote({
        isolated: true,
        egressRefused: [refused('a.example:443', 1), refused('10.0.0.9:22', 2)],
        gatewayRefused: 1,
      }),
    ).toBe(
      'the network refused a.example:443 and 10.0.0.9:22 (2 times); the model gateway refused 1 call',
    );
    expect(containmentNote({ isolated: true, egressRefused: [], gatewayRefused: 4 })).toBe(
      'the model gateway refused 4 calls',
    );
  });

  it('stays short: three destinations, then a count of the rest', () => {
    const many = ['a', 'b', 'c', 'd', 'e'].map((h) => refused(`${h}.example:443`, 1));
    expect(containmentNote({ isolated: true, egressRefused: many, gatewayRefused: 0 })).toBe(
      'the network refused a.example:443, b.example:443, c.example:443 and 2 more destinations',
    );
  });

  it('keeps only the characters of a host and port from what the agent job wrote', () => {
    const note = containmentNote({
      isolated: true,
      egressRefused: [refused('<img src=x>@team [x](http://e)\n- [ ] tick:443', 1)],
      gatewayRefused: 0,
    })!;
    expect(note).toMatch(/^the network refused [A-Za-z0-9.:\-[\]?]+$/);
  });
});
