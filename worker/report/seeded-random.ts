/**
 * A small seeded RandomSource (mulberry32) for simulations and tests. The engine's production
 * RandomSource must be seeded from a cryptographic source: report ids and noise draw from it.
 */
import type { RandomSource } from '../types.js';

export function createSeededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
