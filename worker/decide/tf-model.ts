/**
 * The content-affinity model in TensorFlow.js: refits the logistic regression of content-model.ts
 * on the recent examples (same objective, full batch, Adam). Loaded lazily by `train()` with a
 * dynamic import, so the first decision never waits for tfjs; only `@tensorflow/tfjs-core` and
 * the CPU backend, by named import (the umbrella `@tensorflow/tfjs` is three times the size).
 *
 * The gradient of logistic regression is closed-form, Xᵀ·ρ(σ(z) − y)/Σρ + L2·w, so it is written
 * out with tensor ops: tfjs-core registers no gradients by itself (the umbrella package does, by
 * a side-effect import), and autodiff plus the optimizer classes would only add weight.
 *
 * The refit covers the shared features (tags, text, embedding): they carry taste from one item to
 * another. The per-item id intercepts stay with the online learner: they are one column per item
 * seen, would make the dense design matrix several times wider (the CPU backend's matMul is the
 * cost of a step, and tfjs's sparse alternative, unsortedSegmentSum, is quadratic there), and an
 * intercept learned from its own item's events needs no refit. Their contribution enters each row
 * as a fixed offset, so the objective is still exact.
 */
import { add, div, enableProdMode, getBackend, matMul, mul, ready, reshape, scalar, setBackend, sigmoid, softplus, sqrt, square, sub, sum, tensor1d, tensor2d, tidy, zeros } from '@tensorflow/tfjs-core';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
// Importing the backend registers the 'cpu' kernels; the named import keeps it from being dropped.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { BACKGROUND_WEIGHT, L2_PENALTY, MAX_WEIGHT, recencyWeight, type TrainingExample } from './content-model.js';
import { itemRow, type FeatureSpace } from './features.js';

/**
 * Adam steps of a refit. It starts from the online weights, which are already near the optimum
 * of this convex loss, so a short run converges; the worker is busy while it runs.
 */
export const FIT_STEPS = 80;
export const FIT_LEARNING_RATE = 0.1;
/** Adam's usual moment decay rates and denominator guard (Kingma & Ba 2015). */
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

export const TFJS_CPU_VERSION = version_cpu;

let backendReady: Promise<void> | undefined;

/** Select the CPU backend once; prod mode also silences tfjs's "install tfjs-node" notice in Node. */
export function ensureBackend(): Promise<void> {
  backendReady ??= (async () => {
    enableProdMode();
    if (getBackend() !== 'cpu') await setBackend('cpu');
    await ready();
  })();
  return backendReady;
}

export interface FitInput {
  space: FeatureSpace;
  weights: Float32Array;
  bias: number;
  mask: Uint8Array;
  background: Float32Array;
  examples: TrainingExample[];
  /** The time now (ages are measured from it) and the forgetting half-life, in ms. */
  now: number;
  halfLifeMs: number;
}

export interface FitResult {
  weights: Float32Array;
  bias: number;
  loss: number;
}

export async function fitContentModel(input: FitInput): Promise<FitResult> {
  await ensureBackend();
  const { space, mask, background, examples } = input;
  const weights = Float32Array.from(input.weights);
  if (examples.length === 0) return { weights, bias: input.bias, loss: 0 };

  // Only shared features some example has are fitted; every other feature keeps its value and
  // enters its row's logit as a fixed offset, so the objective is exact but the matrix stays small.
  const fitted = (f: number) => !mask[f] && (f < space.idOffset || f >= space.embeddingOffset);
  const columnOf = new Map<number, number>();
  for (const example of examples) {
    for (const f of itemRow(space, example.item).indices) if (fitted(f) && !columnOf.has(f)) columnOf.set(f, columnOf.size);
  }
  const columns = [...columnOf.keys()];
  const width = Math.max(1, columns.length);
  const rows = examples.length + 1;
  const x = new Float32Array(rows * width);
  const y = new Float32Array(rows);
  const rho = new Float32Array(rows);
  const offsets = new Float32Array(rows);
  let backgroundWeight = 0;
  examples.forEach((example, r) => {
    const { indices, values } = itemRow(space, example.item);
    for (let k = 0; k < indices.length; k++) {
      const f = indices[k]!;
      const column = columnOf.get(f);
      if (column !== undefined) x[r * width + column] = values[k]!;
      else if (!mask[f]) offsets[r]! += weights[f]! * values[k]!;
    }
    y[r] = example.label;
    rho[r] = example.weight * recencyWeight(input.now - example.ts, input.halfLifeMs);
    if (example.label === 1 && example.contrasted) backgroundWeight += rho[r]! * BACKGROUND_WEIGHT;
  });
  // The last row is the average item, a negative weighted by the implicit positives it contrasts.
  const last = examples.length;
  for (let f = 0; f < background.length; f++) {
    if (background[f] === 0 || mask[f]) continue;
    const column = columnOf.get(f);
    if (column !== undefined) x[last * width + column] = background[f]!;
    else offsets[last]! += weights[f]! * background[f]!;
  }
  rho[last] = backgroundWeight;
  let total = 0;
  for (const r of rho) total += r;

  const initial = new Float32Array(width);
  columns.forEach((f, c) => (initial[c] = weights[f]!));
  const xs = tensor2d(x, [rows, width]);
  const ys = tensor1d(y);
  const rs = tensor1d(rho);
  const os = tensor1d(offsets);
  const logits = (w: Tensor, b: Tensor) => add(add(reshape(matMul(xs, w), [rows]), b), os);

  // Parameters and Adam moments; each step replaces them and frees the previous ones.
  let state: Tensor[] = [tensor2d(initial, [width, 1]), scalar(input.bias), zeros([width, 1]), scalar(0), zeros([width, 1]), scalar(0)];
  for (let step = 1; step <= FIT_STEPS; step++) {
    const previous = state;
    state = tidy(() => {
      const [w, b, mw, mb, vw, vb] = previous as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
      const residual = div(mul(sub(sigmoid(logits(w, b)), ys), rs), scalar(total));
      // Xᵀ·residual, with X transposed inside the product.
      const gw = add(matMul(xs, reshape(residual, [rows, 1]), true, false), mul(w, scalar(L2_PENALTY)));
      const gb = sum(residual);
      const correction1 = 1 - Math.pow(ADAM_BETA1, step);
      const correction2 = 1 - Math.pow(ADAM_BETA2, step);
      const moment = (m: Tensor, g: Tensor) => add(mul(m, scalar(ADAM_BETA1)), mul(g, scalar(1 - ADAM_BETA1)));
      const second = (v: Tensor, g: Tensor) => add(mul(v, scalar(ADAM_BETA2)), mul(square(g), scalar(1 - ADAM_BETA2)));
      const nmw = moment(mw, gw);
      const nmb = moment(mb, gb);
      const nvw = second(vw, gw);
      const nvb = second(vb, gb);
      const update = (m: Tensor, v: Tensor) => div(mul(m, scalar(FIT_LEARNING_RATE / correction1)), add(sqrt(div(v, scalar(correction2))), scalar(ADAM_EPSILON)));
      return [sub(w, update(nmw, nvw)), sub(b, update(nmb, nvb)), nmw, nmb, nvw, nvb];
    });
    for (const tensor of previous) tensor.dispose();
  }
  const [w, b] = state as [Tensor, Tensor];
  const lossTensor = tidy(() => {
    const z = logits(w, b);
    // Binary cross-entropy on logits: softplus(z) − y·z; the L2 term covers every weight.
    const data = div(sum(mul(sub(softplus(z), mul(ys, z)), rs)), scalar(total));
    return add(data, mul(sum(square(w)), scalar(L2_PENALTY / 2))) as Scalar;
  });
  const loss = (await lossTensor.data())[0]! + (L2_PENALTY / 2) * frozenNorm(weights, columnOf);
  const result = await w.data();
  const fittedBias = (await b.data())[0]!;
  columns.forEach((f, c) => (weights[f] = Math.max(-MAX_WEIGHT, Math.min(MAX_WEIGHT, result[c]!))));
  for (const tensor of [...state, lossTensor, xs, ys, rs, os]) tensor.dispose();
  return { weights, bias: fittedBias, loss };
}

/** ‖w‖² over the features the refit leaves as they are. */
function frozenNorm(weights: Float32Array, columnOf: Map<number, number>): number {
  let norm = 0;
  weights.forEach((w, f) => {
    if (!columnOf.has(f)) norm += w * w;
  });
  return norm;
}

/**
 * bias + w·x for the given items, computed by tfjs over dense feature rows: the tfjs half of
 * "the typed-array scorer and the tfjs model give the same scores" (muted features zeroed).
 */
export async function contentLogitsTf(space: FeatureSpace, weights: Float32Array, bias: number, mask: Uint8Array, items: number[]): Promise<Float32Array> {
  await ensureBackend();
  const x = new Float32Array(items.length * space.dim);
  items.forEach((item, r) => {
    const { indices, values } = itemRow(space, item);
    for (let k = 0; k < indices.length; k++) x[r * space.dim + indices[k]!] = values[k]!;
  });
  const masked = weights.map((value, f) => (mask[f] ? 0 : value));
  const result = tidy(() => add(reshape(matMul(tensor2d(x, [items.length, space.dim]), tensor2d(masked, [space.dim, 1])), [items.length]), scalar(bias)));
  const logits = (await result.data()) as Float32Array;
  result.dispose();
  return Float32Array.from(logits);
}
