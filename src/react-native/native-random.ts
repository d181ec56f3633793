/**
 * Randomness on React Native. Hermes has `crypto.getRandomValues` only with a polyfill
 * (react-native-get-random-values); without it the seed and report noise fall back to
 * Math.random, and the client says so once through onError, because report ids and noise must be
 * unpredictable (engine-types.ts, EngineOptions.reportRandom).
 */
import type { RandomSource } from '../../worker/types.js';

/** Words drawn per refill: one native call per this many numbers. */
const WORDS_PER_REFILL = 64;

type GetRandomValues = (array: Uint32Array) => Uint32Array;

function platformGetRandomValues(): GetRandomValues | undefined {
  const crypto = (globalThis as { crypto?: { getRandomValues?: GetRandomValues } }).crypto;
  return typeof crypto?.getRandomValues === 'function' ? (array) => crypto.getRandomValues!(array) : undefined;
}

export function hasSecureRandom(): boolean {
  return platformGetRandomValues() !== undefined;
}

/** A RandomSource over the platform's crypto, or Math.random where there is none. */
export function createNativeRandom(): RandomSource {
  const getRandomValues = platformGetRandomValues();
  if (!getRandomValues) return { next: () => Math.random() };
  const words = new Uint32Array(WORDS_PER_REFILL);
  let used = WORDS_PER_REFILL;
  return {
    next() {
      if (used === WORDS_PER_REFILL) {
        getRandomValues(words);
        used = 0;
      }
      return words[used++]! / 2 ** 32;
    },
  };
}

export function randomSeed(random: RandomSource): number {
  return Math.floor(random.next() * 2 ** 32) >>> 0;
}
