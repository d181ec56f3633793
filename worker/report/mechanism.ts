/**
 * Local differential privacy primitives: each takes a device's clipped value and returns an
 * ε-LDP answer, and each has the collector-side debiasing beside it so the two cannot drift apart.
 *
 * - k-ary randomized response (k-RR) for categories and bits (Warner 1965; Kairouz et al. 2016):
 *   the true category is kept with p = e^ε / (e^ε + k − 1), otherwise one of the k − 1 others is
 *   sent uniformly. The ratio of any two output probabilities is at most p / q = e^ε.
 * - The two-sided geometric ("discrete Laplace") mechanism for integer sums (Ghosh et al. 2009):
 *   P(noise = z) ∝ α^|z| with α = e^(−ε/Δ), Δ the L1 sensitivity of the clipped vector.
 * - The Laplace mechanism for real sums (reward), scale Δ/ε.
 *
 * No Math.random here: randomness comes in through the RandomSource port, so runs are seeded.
 */
import type { RandomSource } from '../types.js';

// ---------------------------------------------------------------------------------------------
// k-ary randomized response

export interface KrrProbabilities {
  /** Probability the true category is sent. */
  p: number;
  /** Probability each particular other category is sent. */
  q: number;
}

export function krrProbabilities(k: number, epsilon: number): KrrProbabilities {
  const e = Math.exp(epsilon);
  return { p: e / (e + k - 1), q: 1 / (e + k - 1) };
}

/** Send `category` (0..k−1) through k-RR at `epsilon`. */
export function randomizedResponse(category: number, k: number, epsilon: number, random: RandomSource): number {
  const { p } = krrProbabilities(k, epsilon);
  if (random.next() < p) return category;
  const other = Math.min(k - 2, Math.floor(random.next() * (k - 1)));
  return other >= category ? other + 1 : other;
}

/**
 * The unbiased per-report value of "the true category was c" given the reported category:
 * (1[reported = c] − q) / (p − q). Its mean over devices is the true share of c.
 */
export function krrIndicator(reported: number, category: number, k: number, epsilon: number): number {
  const { p, q } = krrProbabilities(k, epsilon);
  return ((reported === category ? 1 : 0) - q) / (p - q);
}

/** Debias a histogram of reported categories into unbiased true-category counts. */
export function debiasKrrCounts(reportedCounts: readonly number[], epsilon: number): number[] {
  const k = reportedCounts.length;
  const n = reportedCounts.reduce((sum, c) => sum + c, 0);
  const { p, q } = krrProbabilities(k, epsilon);
  return reportedCounts.map((c) => (c - n * q) / (p - q));
}

// ---------------------------------------------------------------------------------------------
// Additive noise for sums

/** A uniform number in (0, 1]: logarithms below must never see 0. */
function openUniform(random: RandomSource): number {
  return 1 - random.next();
}

/** Two-sided geometric noise with P(z) ∝ e^(−ε|z|/Δ): ε-DP for integer vectors of L1 sensitivity Δ. */
export function geometricNoise(epsilon: number, sensitivity: number, random: RandomSource): number {
  const alpha = Math.exp(-epsilon / sensitivity);
  if (alpha <= 0) return 0;
  const logAlpha = Math.log(alpha);
  // The difference of two one-sided geometric variables is two-sided geometric.
  const g1 = Math.floor(Math.log(openUniform(random)) / logAlpha);
  const g2 = Math.floor(Math.log(openUniform(random)) / logAlpha);
  return g1 - g2;
}

/** Variance of `geometricNoise`: 2α / (1 − α)². */
export function geometricVariance(epsilon: number, sensitivity: number): number {
  const alpha = Math.exp(-epsilon / sensitivity);
  return (2 * alpha) / (1 - alpha) ** 2;
}

/** Laplace noise of scale Δ/ε. */
export function laplaceNoise(epsilon: number, sensitivity: number, random: RandomSource): number {
  const scale = sensitivity / epsilon;
  const magnitude = -scale * Math.log(openUniform(random));
  return random.next() < 0.5 ? -magnitude : magnitude;
}

// ---------------------------------------------------------------------------------------------
// Clipping: bounding each device's contribution

/**
 * L1 sensitivity of a non-negative vector whose entries sum to at most `bound`: two devices can
 * put their whole mass on different coordinates, so the vectors differ by up to 2·bound (a single
 * coordinate differs by at most `bound`).
 */
export function l1Sensitivity(bound: number, coordinates: number): number {
  return coordinates > 1 ? 2 * bound : bound;
}

/**
 * Scale non-negative integers down so they sum to at most `bound`, keeping proportions:
 * floor each scaled value, then hand the remaining units to the largest remainders (ties by index).
 */
export function clipIntegersL1(values: readonly number[], bound: number): number[] {
  const clean = values.map((v) => (Number.isFinite(v) && v > 0 ? Math.floor(v) : 0));
  const total = clean.reduce((sum, v) => sum + v, 0);
  if (total <= bound) return clean;
  const scaled = clean.map((v) => (v * bound) / total);
  const clipped = scaled.map(Math.floor);
  let left = bound - clipped.reduce((sum, v) => sum + v, 0);
  const order = scaled
    .map((v, index) => ({ index, remainder: v - Math.floor(v) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    clipped[index] = (clipped[index] ?? 0) + 1;
    left -= 1;
  }
  return clipped;
}

/** Scale non-negative reals down so they sum to at most `bound`. */
export function clipRealsL1(values: readonly number[], bound: number): number[] {
  const clean = values.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  const total = clean.reduce((sum, v) => sum + v, 0);
  if (total <= bound) return clean;
  return clean.map((v) => (v * bound) / total);
}
