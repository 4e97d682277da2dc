/**
 * Deterministic pseudo-randomness per (seed, key), in [0, 1): a random world replays identically,
 * and each of its choices (a task's time, an agent's outcome, a sha's CI) is independent.
 */
export function chance(seed: number, key: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}
