import type { RandomSource } from './types.js';

/**
 * mulberry32: a small, fast, seedable generator. Good enough for exploration and sampling;
 * never used for anything secret (report ids use the platform's crypto, see worker-service.ts).
 */
export function createSeededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A short random id from a RandomSource (base36, ~62 bits). */
export function randomId(random: RandomSource, prefix = ''): string {
  const a = Math.floor(random.next() * 2 ** 31).toString(36);
  const b = Math.floor(random.next() * 2 ** 31).toString(36);
  return `${prefix}${a}${b}`;
}
