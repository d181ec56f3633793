/**
 * The content-affinity model: logistic regression on item features, p(engage | item) =
 * σ(bias + w·x). Learned online here with one SGD step per event (so learning is immediate and
 * needs no tfjs); tf-model.ts refits the same objective with tfjs on the recent examples.
 *
 * Objective (both learners): Σ_e ρ_e·[BCE(σ(z_e), y_e) + BACKGROUND_WEIGHT·y_e·BCE(σ(z̄), 0)]
 * + L2/2·‖w‖², where ρ_e = 2^(−age/CONTENT_HALF_LIFE) and z̄ scores the popularity-weighted
 * average item. Each positive is contrasted with that average item, so weights say what this user
 * likes more than the catalog at large, even when the site reports only positives (views).
 */
import type { FeatureSpace } from './features.js';

/** Prior click rate of a shown item before anything is learned: σ(−3) ≈ 5%. */
export const BASE_LOGIT = -3;
/** SGD step size: one click on an item moves its tag weights by about a tenth of a logit. */
export const LEARNING_RATE = 0.3;
/** L2 penalty of the tfjs refit: keeps rarely seen features near zero. */
export const L2_PENALTY = 0.01;
/**
 * Forgetting, in learning events: weights decay toward zero with this half-life and the refit
 * weighs examples by age with it, so the model follows drifting taste within a few dozen events.
 */
export const CONTENT_HALF_LIFE = 60;
/** Examples kept for the refit: at half-life 60 the oldest of 400 weighs under 1%. */
export const MAX_TRAINING_EXAMPLES = 400;
/** Weight of the contrast with the average item per positive example. */
export const BACKGROUND_WEIGHT = 1;
/** Weights are clipped to this range: one feature never decides a ranking alone. */
export const MAX_WEIGHT = 8;

const DECAY = Math.pow(2, -1 / CONTENT_HALF_LIFE);

export interface TrainingExample {
  item: number;
  label: 0 | 1;
  weight: number;
  /** The learning-event counter when the example was seen (its age is measured from it). */
  seq: number;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export class ContentModel {
  weights: Float32Array;
  bias = BASE_LOGIT;
  /** 1 for features that are muted: they neither score nor learn. */
  mask: Uint8Array;
  background: Float32Array;

  constructor(readonly space: FeatureSpace, background: Float32Array) {
    this.weights = new Float32Array(space.dim);
    this.mask = new Uint8Array(space.dim);
    this.background = background;
  }

  /** bias + w·x_i over unmuted features: the typed-array half of "scorer == tfjs". */
  logit(item: number): number {
    const { offsets, indices, values } = this.space;
    let z = this.bias;
    for (let k = offsets[item]!; k < offsets[item + 1]!; k++) {
      const f = indices[k]!;
      if (!this.mask[f]) z += this.weights[f]! * values[k]!;
    }
    return z;
  }

  backgroundLogit(): number {
    let z = this.bias;
    const w = this.weights;
    const x = this.background;
    for (let f = 0; f < w.length; f++) if (x[f] !== 0 && !this.mask[f]) z += w[f]! * x[f]!;
    return z;
  }

  /** One learning event: forget a little, then a gradient step on the example (and its contrast). */
  learn(item: number, label: 0 | 1, weight: number): void {
    this.forget();
    const { offsets, indices, values } = this.space;
    const step = LEARNING_RATE * weight * (sigmoid(this.logit(item)) - label);
    for (let k = offsets[item]!; k < offsets[item + 1]!; k++) this.nudge(indices[k]!, step * values[k]!);
    this.bias -= step;
    if (label === 1 && BACKGROUND_WEIGHT > 0) {
      const contrast = LEARNING_RATE * weight * BACKGROUND_WEIGHT * sigmoid(this.backgroundLogit());
      const x = this.background;
      for (let f = 0; f < x.length; f++) if (x[f] !== 0) this.nudge(f, contrast * x[f]!);
      this.bias -= contrast;
    }
  }

  /** Weights decay toward zero and the bias toward its prior, one event's worth. */
  forget(): void {
    const w = this.weights;
    for (let f = 0; f < w.length; f++) if (w[f] !== 0) w[f]! *= DECAY;
    this.bias = BASE_LOGIT + (this.bias - BASE_LOGIT) * DECAY;
  }

  reset(): void {
    this.weights.fill(0);
    this.bias = BASE_LOGIT;
  }

  private nudge(feature: number, amount: number): void {
    if (this.mask[feature]) return;
    const next = this.weights[feature]! - amount;
    this.weights[feature] = Math.max(-MAX_WEIGHT, Math.min(MAX_WEIGHT, next));
  }
}

/** Recency weight of an example `age` learning events old. */
export function recencyWeight(age: number): number {
  return Math.pow(2, -Math.max(0, age) / CONTENT_HALF_LIFE);
}
