/**
 * murmur3's 32-bit finalizer: a bijection that makes every output bit depend on every input bit.
 * Shared by the decision maker's string hash (worker/decide/hash.ts) and the report sketch's keys
 * (worker/report/sketch.ts), whose golden values pin it.
 */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
