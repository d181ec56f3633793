/**
 * The content-affinity model: logistic regression on item features (and on the request's context
 * crossed with them), p(engage | item, context) = σ(bias + w·x_i + c·(ctx ⊗ x_i)). Learned online
 * here, one update per event (so learning is immediate and needs no tfjs); tf-model.ts refits the
 * item part of the same objective with tfjs on the recent examples.
 *
 * Objective (both learners): Σ_e ρ_e·[BCE(σ(z_e), y_e) + BACKGROUND_WEIGHT·c_e·BCE(σ(z̄), 0)]
 * + L2/2·‖w‖², where ρ_e = 2^(−age_e / half-life), the age in time, and z̄ scores the
 * popularity-weighted average item. Each implicit positive (c_e = 1: a view or click the user
 * came to by themselves) is contrasted with that average item, so weights say what this user
 * likes more than the catalog at large, even when the site reports only positives (views). A
 * decision's outcome is not (c_e = 0): its negatives are real, the showings the user ignored, and
 * an invented one per click on top of them would bias the model against the catalog's average
 * direction instead of estimating the click rate (online simulator, one decision a day,
 * stationary regret 12.0 → 10.9 with only this changed).
 *
 * Online updates: sparse features (tags, text, item ids, context crosses) take an SGD step; the
 * dense embedding block, when it is small, takes a second-order step (online Laplace/Newton:
 * precision P += p(1−p)·x·xᵀ, w += P⁻¹·x·(y − p)), so a device learns a taste direction in
 * embedding space from a few dozen explicit rewards instead of a few hundred.
 */
import { solveSymmetric } from './cholesky.js';
import { contextCross, itemRow, type ContextFeature, type FeatureSpace } from './features.js';

/** Prior click rate of a shown item before anything is learned: σ(−3) ≈ 5%. */
export const BASE_LOGIT = -3;
/**
 * SGD step size of the first-order features (tags, text, item ids, context crosses): one click on
 * an item moves its tag weights by a few hundredths of a logit, so a weight averages over dozens
 * of noisy events instead of following the last few. Measured against 0.3: MovieLens-100K
 * leave-last-out HR@10 0.2025 → 0.2110 (seed 1); online simulator, one decision a day, stationary
 * regret 12.9 → 11.0 (with the neighbour weight at 0 and the embedding kept through forgetting).
 */
export const LEARNING_RATE = 0.1;
/** L2 penalty of the tfjs refit: keeps rarely seen features near zero. */
export const L2_PENALTY = 0.01;
/**
 * Default forgetting half-life, in days: first-order weights decay toward zero (the bias toward its
 * prior) with it, the second-order parts' precision toward its prior, and the refit weighs examples
 * by age with it. Taste a season old counts half; after an absence the model is less sure and
 * explores more. (Online simulator, one decision a day, 50 devices, stationary regret: 25.1 when
 * the 90 days also decayed the second-order weights, 17.2 now, 15.9 at a ten-year half-life; regret
 * after an abrupt drift 13.9, 13.0, 13.2.)
 */
export const DEFAULT_HALF_LIFE_DAYS = 90;
export const DAY_MS = 24 * 60 * 60 * 1000;
/** Examples kept for the refit (the most recent ones). */
export const MAX_TRAINING_EXAMPLES = 400;
/** Weight of the contrast with the average item per positive example. */
export const BACKGROUND_WEIGHT = 1;
/** Weights are clipped to this range: one feature never decides a ranking alone. */
export const MAX_WEIGHT = 8;
/**
 * Embeddings up to this width get the second-order learner (a dim² precision matrix: 32 → 1,024
 * numbers in the stored state); wider ones learn by SGD like the sparse features.
 */
export const SECOND_ORDER_MAX_DIM = 32;
/** Prior precision of the embedding weights: one pseudo-observation per dimension (ridge λ = 1). */
export const EMBEDDING_PRIOR_PRECISION = 1;
/**
 * Floor of the curvature p(1−p) in the precision update: at click rates of a few percent the
 * curvature is tiny and P would stay near its prior, making every step as large as the first.
 */
const MIN_CURVATURE = 0.01;
/**
 * The neighbour weight before this device has seen any decision outcome: logits per e-fold of
 * neighbour evidence (scorer.ts). With POPULARITY_WEIGHT it sets how fast own taste overtakes
 * popularity; tuned offline on MovieLens-100K leave-last-out, where "what goes with what you just
 * engaged with" is the best predictor of the next engagement.
 */
export const NEIGHBOUR_PRIOR_WEIGHT = 2;
/**
 * Prior precision of the neighbour weight, in the units of its Newton step: the shipped weight
 * counts as about fifty decision outcomes before this device's own evidence overrides it (it was
 * tuned for next-item ranking, not for this placement). Measured in the online simulator, an
 * outcome adds 0.02–0.03 (neighbour features of 0.3–1 rather than the 2 once assumed, ignored
 * showings at half weight), so fifty outcomes are about 1; the 10 used before counted as several
 * hundred (one decision a day, stationary regret 10.9 → 10.3 with only this changed).
 */
export const NEIGHBOUR_PRIOR_PRECISION = 1;
/**
 * Forgetting is applied once the decay due reaches this fraction (about 10 minutes at a 90-day
 * half-life): each application touches every weight, and a burst of events a second apart would
 * otherwise pay that per event. Decay factors multiply, so the total forgotten is the same.
 */
const MIN_DECAY_STEP = 5e-5;

export interface TrainingExample {
  item: number;
  label: 0 | 1;
  weight: number;
  /** An implicit positive, contrasted with the average item (false for negatives and decision outcomes). */
  contrasted: boolean;
  /** The learning-event counter when the example was seen (the refit replays what came after it). */
  seq: number;
  /** When it was seen: its age, for the recency weight, is measured in time. */
  ts: number;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Recency weight of an example `ageMs` old under a half-life of `halfLifeMs`. */
export function recencyWeight(ageMs: number, halfLifeMs: number): number {
  return Math.pow(2, -Math.max(0, ageMs) / halfLifeMs);
}

export class ContentModel {
  weights: Float32Array;
  bias = BASE_LOGIT;
  /** 1 for features that are muted: they neither score nor learn. */
  mask: Uint8Array;
  private averageItem: { vector: Float32Array; features: Int32Array } | undefined;
  /** Posterior precision of the embedding block (dim × dim, row-major); empty when SGD learns it. */
  precision: Float64Array;
  /**
   * Weight of the neighbour evidence in a score, calibrated on this device's decision outcomes
   * (learnNeighbourWeight), with its precision; starts at the shipped NEIGHBOUR_PRIOR_WEIGHT.
   */
  neighbourWeight = NEIGHBOUR_PRIOR_WEIGHT;
  neighbourPrecision = NEIGHBOUR_PRIOR_PRECISION;
  /** Learning events seen, decayed with the half-life: how much this device's model knows. */
  evidence = 0;
  /** The time forgetting was last applied up to. */
  forgottenAt = Number.NEGATIVE_INFINITY;

  /**
   * `background` gives the average item's features. It reads every item's row, so it is called
   * on the first learning step, not before the first decision (scoring never needs it).
   */
  constructor(readonly space: FeatureSpace, private readonly computeBackground: () => Float32Array, readonly halfLifeMs = DEFAULT_HALF_LIFE_DAYS * DAY_MS) {
    this.weights = new Float32Array(space.dim);
    this.mask = new Uint8Array(space.dim);
    const d = space.embeddingDim;
    this.precision = d > 0 && d <= SECOND_ORDER_MAX_DIM ? priorPrecision(d) : new Float64Array(0);
  }

  /** The popularity-weighted average item's feature vector (see the file comment). */
  get background(): Float32Array {
    return this.average().vector;
  }

  /** The background item's non-zero features: the contrast step and its logit visit only these. */
  private get backgroundFeatures(): Int32Array {
    return this.average().features;
  }

  private average(): { vector: Float32Array; features: Int32Array } {
    if (!this.averageItem) {
      const vector = this.computeBackground();
      const features: number[] = [];
      vector.forEach((value, f) => value !== 0 && features.push(f));
      this.averageItem = { vector, features: Int32Array.from(features) };
    }
    return this.averageItem;
  }

  get secondOrder(): boolean {
    return this.precision.length > 0;
  }

  /** bias + w·x_i over unmuted features: the typed-array half of "scorer == tfjs". */
  logit(item: number): number {
    const { indices, values } = itemRow(this.space, item);
    let z = this.bias;
    for (let k = 0; k < indices.length; k++) {
      const f = indices[k]!;
      if (!this.mask[f]) z += this.weights[f]! * values[k]!;
    }
    return z;
  }

  /** The context crosses' part of item `item`'s logit: Σ over context features × item tags and embedding. */
  contextLogit(item: number, context: readonly ContextFeature[]): number {
    if (context.length === 0) return 0;
    let z = 0;
    this.eachCross(item, context, (f, value) => (z += this.weights[f]! * value));
    return z;
  }

  backgroundLogit(): number {
    let z = this.bias;
    const w = this.weights;
    const x = this.background;
    for (const f of this.backgroundFeatures) if (!this.mask[f]) z += w[f]! * x[f]!;
    return z;
  }

  /**
   * One learning event at time `ts`: forget up to then, then a step on the example, and for an
   * implicit positive (`contrasted`) one on its contrast with the average item.
   */
  learn(item: number, label: 0 | 1, weight: number, ts: number, context: readonly ContextFeature[] = [], contrasted = label === 1): void {
    this.forget(ts);
    this.evidence += weight;
    const p = sigmoid(this.logit(item) + this.contextLogit(item, context));
    this.step(item, p, label, weight);
    // The crosses learn from this outcome in this context (no contrast: the average item was not shown in it).
    const crossStep = LEARNING_RATE * weight * (p - label);
    this.eachCross(item, context, (f, value) => this.nudge(f, crossStep * value));
    if (label === 1 && contrasted && BACKGROUND_WEIGHT > 0) this.step(-1, sigmoid(this.backgroundLogit()), 0, weight * BACKGROUND_WEIGHT);
  }

  /**
   * Calibrate the neighbour weight on one decision's outcome: the shown item's neighbour feature
   * (log(1 + nb/NEIGHBOUR_SCALE)), the click probability predicted for it, and the outcome, with
   * the example weight. The shipped priors say which items go together; how far that should move
   * a choice depends on the placement and the person (next-item recommendation after a click: a
   * lot; a shelf for a settled taste: less), and only decisions show both outcomes of an item that
   * neighbours lifted. One online Newton step on the logistic loss, like the embedding block;
   * the weight stays in [0, MAX_WEIGHT] (neighbours lift or stay silent, never push down).
   */
  learnNeighbourWeight(feature: number, predicted: number, label: 0 | 1, weight: number): void {
    if (!(feature > 0)) return;
    this.neighbourPrecision += weight * Math.max(MIN_CURVATURE, predicted * (1 - predicted)) * feature * feature;
    this.neighbourWeight = Math.max(0, Math.min(MAX_WEIGHT, this.neighbourWeight + (weight * (label - predicted) * feature) / this.neighbourPrecision));
  }

  /**
   * Forget up to `now`: the first-order weights decay toward zero and the bias toward its prior;
   * the second-order parts (embedding block, neighbour weight) keep their weights while their
   * precision decays toward the prior (recursive least squares with forgetting: taste follows a random walk, so time without
   * evidence makes the model less sure of it, not sure of a blander taste, and the next outcomes
   * move it all the more). The evidence decays too. Steps smaller than MIN_DECAY_STEP are
   * deferred, for learning and scoring alike: a score is then off by less than 0.005%, and each
   * application touches every weight (applied exactly on every decide(), it tripled decide()'s
   * p99 in the engine).
   */
  forget(now: number): void {
    if (!(now > this.forgottenAt)) return;
    const first = this.forgottenAt === Number.NEGATIVE_INFINITY;
    const decay = first ? 1 : recencyWeight(now - this.forgottenAt, this.halfLifeMs);
    if (!first && decay > 1 - MIN_DECAY_STEP) return;
    this.forgottenAt = now;
    if (decay === 1) return;
    const w = this.weights;
    const firstOrder = this.secondOrder ? this.space.embeddingOffset : w.length;
    for (let f = 0; f < firstOrder; f++) if (w[f] !== 0) w[f]! *= decay;
    this.bias = BASE_LOGIT + (this.bias - BASE_LOGIT) * decay;
    this.evidence *= decay;
    this.neighbourPrecision = NEIGHBOUR_PRIOR_PRECISION + (this.neighbourPrecision - NEIGHBOUR_PRIOR_PRECISION) * decay;
    const d = this.space.embeddingDim;
    for (let r = 0; r < d && this.secondOrder; r++) {
      for (let c = 0; c < d; c++) {
        const prior = r === c ? EMBEDDING_PRIOR_PRECISION : 0;
        this.precision[r * d + c] = prior + (this.precision[r * d + c]! - prior) * decay;
      }
    }
  }

  reset(): void {
    this.weights.fill(0);
    this.bias = BASE_LOGIT;
    this.evidence = 0;
    this.neighbourWeight = NEIGHBOUR_PRIOR_WEIGHT;
    this.neighbourPrecision = NEIGHBOUR_PRIOR_PRECISION;
    this.forgottenAt = Number.NEGATIVE_INFINITY;
    if (this.secondOrder) this.precision = priorPrecision(this.space.embeddingDim);
  }

  /**
   * A gradient step of weight `weight` toward `label` at prediction `p`, for catalog item `item`
   * (or, with −1, the background item). Embedding features take the second-order step.
   */
  private step(item: number, p: number, label: 0 | 1, weight: number): void {
    const { embeddingOffset, embeddingDim } = this.space;
    const amount = LEARNING_RATE * weight * (p - label);
    const dense = new Float64Array(this.secondOrder ? embeddingDim : 0);
    const visit = (f: number, value: number) => {
      if (this.secondOrder && f >= embeddingOffset) dense[f - embeddingOffset] = this.mask[f] ? 0 : value;
      else this.nudge(f, amount * value);
    };
    if (item >= 0) {
      const { indices, values } = itemRow(this.space, item);
      for (let k = 0; k < indices.length; k++) visit(indices[k]!, values[k]!);
    } else {
      for (const f of this.backgroundFeatures) visit(f, this.background[f]!);
    }
    this.bias -= amount;
    if (this.secondOrder) this.newtonStep(dense, weight * (label - p), weight * Math.max(MIN_CURVATURE, p * (1 - p)));
  }

  /** P += c·x·xᵀ, then w += P⁻¹·x·g over the embedding block. */
  private newtonStep(x: Float64Array, g: number, curvature: number): void {
    const d = x.length;
    const P = this.precision;
    let any = false;
    for (let r = 0; r < d; r++) {
      if (x[r] === 0) continue;
      any = true;
      for (let c = 0; c < d; c++) P[r * d + c]! += curvature * x[r]! * x[c]!;
    }
    if (!any) return;
    const delta = solveSymmetric(P, x, d);
    const offset = this.space.embeddingOffset;
    for (let r = 0; r < d; r++) {
      if (this.mask[offset + r]) continue;
      this.weights[offset + r] = clip(this.weights[offset + r]! + g * delta[r]!);
    }
  }

  /** Visit every context cross of item `item`: (context feature × tag or embedding dimension) → hashed bucket. */
  private eachCross(item: number, context: readonly ContextFeature[], visit: (feature: number, value: number) => void): void {
    const { textOffset, embeddingOffset } = this.space;
    const { indices, values } = itemRow(this.space, item);
    for (let k = 0; k < indices.length; k++) {
      const f = indices[k]!;
      if (this.mask[f] || (f >= textOffset && f < embeddingOffset)) continue;
      for (const feature of context) visit(contextCross(this.space, feature.hash, f), feature.value * values[k]!);
    }
  }

  private nudge(feature: number, amount: number): void {
    if (this.mask[feature]) return;
    this.weights[feature] = clip(this.weights[feature]! - amount);
  }
}

function clip(w: number): number {
  return Math.max(-MAX_WEIGHT, Math.min(MAX_WEIGHT, w));
}

function priorPrecision(d: number): Float64Array {
  const P = new Float64Array(d * d);
  for (let r = 0; r < d; r++) P[r * d + r] = EMBEDDING_PRIOR_PRECISION;
  return P;
}
