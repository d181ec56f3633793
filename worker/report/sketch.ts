/**
 * A frequency oracle for catalog items and item pairs under local differential privacy: hashed
 * k-ary randomized response over a shared family of hash rows (optimized local hashing, Wang et
 * al. 2017, with a finite public seed pool as in count-mean sketches, Apple 2017).
 *
 * Device: pick a row s uniformly, hash the key to a bucket in [0, width), send the bucket through
 * k-RR over `width` values at ε. Item ids never leave the device, not even hashed: only (s, bucket').
 * Collector: per row, debias the bucket histogram; a key's frequency is the sum over rows of its
 * buckets' debiased counts, corrected for the expected share of colliding keys.
 *
 * Sets of items (up to `padding` per report) go through padding-and-sampling (Wang et al. 2018):
 * the device pads its set to `padding` members and reports one uniformly, at the whole ε;
 * estimates are scaled back by `padding`. For small ε this beats splitting ε across items. A
 * padding member is answered with a uniformly random bucket: to any key it looks exactly like an
 * average non-matching key, so padding adds noise but no bias, and the answer stays ε-LDP
 * (p ≤ e^ε/width and 1/width ≤ e^ε·q).
 */
import type { RandomSource } from '../types.js';
import { krrProbabilities, randomizedResponse } from './mechanism.js';
import { mix32 } from '../mix32.js';

/**
 * Public hash rows. With a finite family, two given keys share a bucket in about rows/width rows
 * rather than exactly that share, which biases one key's estimate by a fraction of the other's
 * count; that bias shrinks as 1/√rows. At 1024 rows it is below the ε = 1 noise of a few
 * thousand reports (measured in test/unit/report/sketch.test.ts: at 64 rows it was a fifth of the
 * noise). The cost is the collector's: rows lookups per queried key. Fleets sending 10⁵+ reports
 * per setting should raise it.
 */
export const SKETCH_ROWS = 1024;

/**
 * Widest bucket range. The variance-optimal width is e^ε + 1; past ~1000 the gain is nil while the
 * collector's matrix (rows × width) keeps growing.
 */
export const SKETCH_MAX_WIDTH = 1024;

/** The padding member of a sampled set (answered uniformly, see above). */
export const PAD_KEY = -1;

const ROW_SALT = 0x5bd1e995;
const PAIR_SALT = 0x27d4eb2f;

export { mix32 } from '../mix32.js';

/** 32-bit FNV-1a over UTF-16 code units, then mixed: the key of a catalog item id. */
export function itemKey(itemId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < itemId.length; i++) {
    h ^= itemId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** The key of an unordered item pair, from the two item keys (order-free by construction). */
export function pairKeyFromItemKeys(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return mix32((lo ^ Math.imul(hi, PAIR_SALT) ^ Math.imul(hi >>> 7, ROW_SALT)) >>> 0);
}

export function pairKey(a: string, b: string): number {
  return pairKeyFromItemKeys(itemKey(a), itemKey(b));
}

/** The public salt of hash row `row`. */
export function rowSalt(row: number): number {
  return mix32(Math.imul(row + 1, ROW_SALT));
}

/** The bucket of `key` in hash row `row`. */
export function sketchBucket(key: number, row: number, width: number): number {
  return mix32((key ^ rowSalt(row)) >>> 0) % width;
}

/** Variance-optimal width for ε, within [2, SKETCH_MAX_WIDTH]. */
export function sketchWidth(epsilon: number): number {
  const optimal = Math.round(Math.exp(Math.min(epsilon, 20)) + 1);
  return Math.max(2, Math.min(SKETCH_MAX_WIDTH, optimal));
}

export interface SketchParams {
  rows: number;
  width: number;
  epsilon: number;
}

/** The device side: one noised (row, bucket) answer for `key`. */
export function encodeKey(key: number, params: SketchParams, random: RandomSource): { row: number; bucket: number } {
  const row = Math.min(params.rows - 1, Math.floor(random.next() * params.rows));
  if (key === PAD_KEY) return { row, bucket: Math.min(params.width - 1, Math.floor(random.next() * params.width)) };
  const bucket = randomizedResponse(sketchBucket(key, row, params.width), params.width, params.epsilon, random);
  return { row, bucket };
}

/** Padding-and-sampling: one member of `keys` padded with PAD_KEY to `padding` members. */
export function sampleKey(keys: readonly number[], padding: number, random: RandomSource): number {
  const slot = Math.min(padding - 1, Math.floor(random.next() * padding));
  return slot < keys.length ? (keys[slot] as number) : PAD_KEY;
}

// ---------------------------------------------------------------------------------------------
// Collector side

/** Answers with the same parameters, summed: the histogram of reported buckets per row. */
export interface SketchTally extends SketchParams {
  padding: number;
  /** Reports per row. */
  rowCounts: number[];
  /** rows × width reported-bucket counts, row-major. */
  counts: number[];
}

export function emptyTally(params: SketchParams & { padding: number }): SketchTally {
  return { ...params, rowCounts: new Array<number>(params.rows).fill(0), counts: new Array<number>(params.rows * params.width).fill(0) };
}

export function addAnswer(tally: SketchTally, answer: { row: number; bucket: number }): void {
  tally.rowCounts[answer.row] = (tally.rowCounts[answer.row] ?? 0) + 1;
  const index = answer.row * tally.width + answer.bucket;
  tally.counts[index] = (tally.counts[index] ?? 0) + 1;
}

/** A query-ready view of a tally: debiased bucket counts per row. */
export interface SketchEstimator {
  /** Unbiased estimate of how many reports' (padded) sets contained `key`. */
  estimate(key: number): number;
  /** Standard deviation of `estimate` for a key nobody reported: the noise floor. */
  noiseSd: number;
  reports: number;
  /** Row lookups per `estimate` call. */
  queryCost: number;
}

export function sketchEstimator(tally: SketchTally): SketchEstimator {
  const { rows, width, padding } = tally;
  const { p, q } = krrProbabilities(width, tally.epsilon);
  const debiased = new Float64Array(rows * width);
  let reports = 0;
  for (let row = 0; row < rows; row++) {
    const n = tally.rowCounts[row] ?? 0;
    reports += n;
    for (let b = 0; b < width; b++) {
      debiased[row * width + b] = ((tally.counts[row * width + b] ?? 0) - n * q) / (p - q);
    }
  }
  // Each report's true bucket collides with a given key's bucket with probability 1/width.
  const scale = width / (width - 1);
  const noiseSd = padding * Math.sqrt(reports / ((width - 1) * (p - q) ** 2));
  const salts = Array.from({ length: rows }, (_, row) => rowSalt(row));
  return {
    reports,
    noiseSd,
    queryCost: rows,
    estimate(key: number): number {
      let sum = 0;
      for (let row = 0; row < rows; row++) sum += debiased[row * width + (mix32((key ^ (salts[row] as number)) >>> 0) % width)] as number;
      return padding * scale * (sum - reports / width);
    },
  };
}
