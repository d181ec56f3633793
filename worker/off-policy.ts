/**
 * Off-policy estimators over the decision log: what a different policy (a new model, a new
 * exploration rate, the holdout default) would have earned on the decisions this device already
 * made. Every decision is logged with the exact probability the logging policy gave each candidate
 * (DecisionRecord.probabilities, .propensity), which is what makes these estimates unbiased.
 *
 * Pure: no platform, no clock. The bootstrap draws from the RandomSource it is given, so a seed
 * fixes the interval.
 */
import { InsituError } from './errors.js';
import type { DecisionRecord, RandomSource } from './types.js';

/**
 * The policy under evaluation: its probability of each candidate for this logged decision, in
 * `record.candidates` order (the same shape as `record.probabilities`). It may read the record's
 * placement, candidates and scores; it must not read the reward.
 */
export type TargetPolicy = (record: DecisionRecord) => ArrayLike<number>;

/** The policy that logged the decisions: evaluating it on its own log gives the mean reward. */
export const loggingPolicy: TargetPolicy = (record) => record.probabilities;

/** The doubly robust estimator's reward model: expected reward of candidate `index` in this decision. */
export type RewardModel = (record: DecisionRecord, index: number) => number;

export interface OffPolicyEstimate {
  estimator: 'ips' | 'snips' | 'dr';
  /** Estimated mean reward per decision under the target policy. */
  value: number;
  /** 95% interval. */
  lo: number;
  hi: number;
  /** Standard error (normal approximation; for the bootstrap, the resamples' standard deviation). */
  stdError: number;
  /** Decisions used. */
  n: number;
  /** Effective sample size of the importance weights, (Σw)² / Σw²: how many decisions the estimate is really worth. */
  effectiveSampleSize: number;
  interval: 'normal' | 'bootstrap';
}

export interface OffPolicyOptions {
  /** `normal` (default): sample variance, normal approximation. `bootstrap`: percentile interval. */
  interval?: 'normal' | 'bootstrap';
  /** Required for the bootstrap, so the interval is reproducible. */
  random?: RandomSource;
  /** Bootstrap resamples. */
  resamples?: number;
  /**
   * A decision without a reward: `zero` (default) counts it as reward 0, the usual reading of a
   * bandit log where no click is no reward; `skip` leaves it out (for logs where rewards are still
   * pending and would otherwise bias the value down).
   */
  missingReward?: 'zero' | 'skip';
}

/** Two-sided 95% normal quantile. */
export const Z_95 = 1.959963984540054;
/** Default bootstrap resamples: the 2.5% and 97.5% percentiles settle to about ±0.1 SE at 2000. */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 2_000;
/** Target probabilities may drift from 1 by float rounding; beyond this they are a caller's bug. */
const PROBABILITY_SUM_TOLERANCE = 1e-6;

/** One logged decision reduced to what the estimators need. */
interface Term {
  /** Importance weight π(a|x) / μ(a|x) of the logged choice. */
  weight: number;
  reward: number;
  /** DR only: Σ_a π(a|x) q̂(x,a) and q̂(x, logged a). */
  directValue: number;
  loggedPrediction: number;
}

/** Inverse propensity scoring: mean of w·r. Unbiased when the logged propensities are exact. */
export function ipsEstimate(records: readonly DecisionRecord[], target: TargetPolicy, options: OffPolicyOptions = {}): OffPolicyEstimate {
  const terms = collectTerms(records, target, undefined, options);
  return estimate('ips', terms, ipsValue, options);
}

/**
 * Self-normalized IPS: Σw·r / Σw. Slightly biased, much lower variance when weights are large;
 * its normal interval uses the delta method (the variance of w·(r − V) over the mean weight).
 */
export function snipsEstimate(records: readonly DecisionRecord[], target: TargetPolicy, options: OffPolicyOptions = {}): OffPolicyEstimate {
  const terms = collectTerms(records, target, undefined, options);
  return estimate('snips', terms, snipsValue, options);
}

/**
 * Doubly robust: the reward model's value under the target policy, corrected by the importance-
 * weighted residual on the logged choice. Unbiased if either the propensities or the model are right.
 */
export function doublyRobustEstimate(
  records: readonly DecisionRecord[],
  target: TargetPolicy,
  model: RewardModel,
  options: OffPolicyOptions = {},
): OffPolicyEstimate {
  const terms = collectTerms(records, target, model, options);
  return estimate('dr', terms, drValue, options);
}

function collectTerms(
  records: readonly DecisionRecord[],
  target: TargetPolicy,
  model: RewardModel | undefined,
  options: OffPolicyOptions,
): Term[] {
  const terms: Term[] = [];
  for (const record of records) {
    if (record.reward === undefined && options.missingReward === 'skip') continue;
    const chosen = record.candidates.indexOf(record.itemId);
    if (chosen < 0) {
      throw new InsituError('invalid_argument', `decision ${record.decisionId}: chosen item is not among its candidates`);
    }
    if (!(record.propensity > 0 && record.propensity <= 1)) {
      throw new InsituError('invalid_argument', `decision ${record.decisionId}: propensity must be in (0, 1]`, {
        propensity: record.propensity,
      });
    }
    const probabilities = target(record);
    checkDistribution(record, probabilities);
    const reward = record.reward ?? 0;
    let directValue = 0;
    let loggedPrediction = 0;
    if (model) {
      for (let i = 0; i < record.candidates.length; i++) {
        const p = probabilities[i] ?? 0;
        if (p > 0) directValue += p * model(record, i);
      }
      loggedPrediction = model(record, chosen);
    }
    terms.push({ weight: (probabilities[chosen] ?? 0) / record.propensity, reward, directValue, loggedPrediction });
  }
  if (!terms.length) throw new InsituError('invalid_argument', 'no decisions to evaluate');
  return terms;
}

function checkDistribution(record: DecisionRecord, probabilities: ArrayLike<number>): void {
  if (probabilities.length !== record.candidates.length) {
    throw new InsituError('invalid_argument', `target policy gave ${probabilities.length} probabilities for ${record.candidates.length} candidates`);
  }
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    if (!(p >= 0 && p <= 1)) throw new InsituError('invalid_argument', 'target probabilities must lie in [0, 1]', { p });
    sum += p;
  }
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
    throw new InsituError('invalid_argument', 'target probabilities must sum to 1', { sum });
  }
}

type ValueOf = (terms: readonly Term[], indices?: Uint32Array) => number;

const ipsValue: ValueOf = (terms, indices) => meanOf(terms, indices, (t) => t.weight * t.reward);

const drValue: ValueOf = (terms, indices) =>
  meanOf(terms, indices, (t) => t.directValue + t.weight * (t.reward - t.loggedPrediction));

const snipsValue: ValueOf = (terms, indices) => {
  let weighted = 0;
  let weights = 0;
  forEachTerm(terms, indices, (t) => {
    weighted += t.weight * t.reward;
    weights += t.weight;
  });
  // No weight at all: the target never picks what the log picked; no information, value 0.
  return weights > 0 ? weighted / weights : 0;
};

/** Per-decision contributions whose sample variance gives the normal interval. */
function influence(estimator: OffPolicyEstimate['estimator'], terms: readonly Term[], value: number): number[] {
  if (estimator === 'ips') return terms.map((t) => t.weight * t.reward);
  if (estimator === 'dr') return terms.map((t) => t.directValue + t.weight * (t.reward - t.loggedPrediction));
  const meanWeight = terms.reduce((sum, t) => sum + t.weight, 0) / terms.length;
  return terms.map((t) => (meanWeight > 0 ? (t.weight * (t.reward - value)) / meanWeight : 0));
}

function estimate(
  estimator: OffPolicyEstimate['estimator'],
  terms: readonly Term[],
  valueOf: ValueOf,
  options: OffPolicyOptions,
): OffPolicyEstimate {
  const n = terms.length;
  const value = valueOf(terms);
  const effectiveSampleSize = effectiveSize(terms);
  if (options.interval === 'bootstrap') {
    const { lo, hi, stdError } = bootstrap(terms, valueOf, options);
    return { estimator, value, lo, hi, stdError, n, effectiveSampleSize, interval: 'bootstrap' };
  }
  const stdError = Math.sqrt(sampleVariance(influence(estimator, terms, value)) / n);
  return { estimator, value, lo: value - Z_95 * stdError, hi: value + Z_95 * stdError, stdError, n, effectiveSampleSize, interval: 'normal' };
}

function bootstrap(terms: readonly Term[], valueOf: ValueOf, options: OffPolicyOptions): { lo: number; hi: number; stdError: number } {
  const random = options.random;
  if (!random) throw new InsituError('invalid_argument', 'the bootstrap interval needs a seeded random source');
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  if (!(Number.isInteger(resamples) && resamples >= 2)) {
    throw new InsituError('invalid_argument', 'resamples must be an integer of at least 2', { resamples });
  }
  const n = terms.length;
  const indices = new Uint32Array(n);
  const values = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) indices[i] = Math.floor(random.next() * n);
    values[b] = valueOf(terms, indices);
  }
  values.sort();
  return {
    lo: percentile(values, 0.025),
    hi: percentile(values, 0.975),
    stdError: Math.sqrt(sampleVariance(Array.from(values))),
  };
}

/** Linear interpolation between order statistics (the usual "type 7" percentile). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const a = sorted[below] as number;
  const b = sorted[above] as number;
  return a + (b - a) * (position - below);
}

function sampleVariance(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  return values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
}

function effectiveSize(terms: readonly Term[]): number {
  let sum = 0;
  let sumSquares = 0;
  for (const t of terms) {
    sum += t.weight;
    sumSquares += t.weight * t.weight;
  }
  return sumSquares > 0 ? (sum * sum) / sumSquares : 0;
}

function forEachTerm(terms: readonly Term[], indices: Uint32Array | undefined, visit: (t: Term) => void): void {
  if (indices) for (const i of indices) visit(terms[i] as Term);
  else for (const t of terms) visit(t);
}

function meanOf(terms: readonly Term[], indices: Uint32Array | undefined, contribution: (t: Term) => number): number {
  let sum = 0;
  forEachTerm(terms, indices, (t) => {
    sum += contribution(t);
  });
  return sum / (indices ? indices.length : terms.length);
}
