/**
 * The content-affinity model in TensorFlow.js: refits the logistic regression of content-model.ts
 * on the recent examples (same objective, full batch, Adam). Loaded lazily by `train()` with a
 * dynamic import, so the first decision never waits for tfjs; only `@tensorflow/tfjs-core` and
 * the CPU backend, by named import (the umbrella `@tensorflow/tfjs` is three times the size).
 */
import { add, div, enableProdMode, getBackend, matMul, mul, ready, reshape, scalar, setBackend, softplus, square, sub, sum, tensor1d, tensor2d, tidy, train, variable } from '@tensorflow/tfjs-core';
import type { Scalar } from '@tensorflow/tfjs-core';
// Importing the backend registers the 'cpu' kernels; the named import keeps it from being dropped.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { BACKGROUND_WEIGHT, L2_PENALTY, MAX_WEIGHT, recencyWeight, type TrainingExample } from './content-model.js';
import type { FeatureSpace } from './features.js';

/** Adam steps of a refit: from the online weights a few hundred steps converge (the loss is convex). */
export const FIT_STEPS = 200;
export const FIT_LEARNING_RATE = 0.05;

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
  /** The learning-event counter now (ages are measured from it). */
  seq: number;
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

  // Only features some example has are fitted; the rest keep their value and enter the average
  // item's logit as a fixed offset, so the objective is exact but the matrix stays small.
  const columnOf = new Map<number, number>();
  for (const example of examples) {
    for (let k = space.offsets[example.item]!; k < space.offsets[example.item + 1]!; k++) {
      const f = space.indices[k]!;
      if (!mask[f] && !columnOf.has(f)) columnOf.set(f, columnOf.size);
    }
  }
  const columns = [...columnOf.keys()];
  const width = Math.max(1, columns.length);
  const rows = examples.length + 1;
  const x = new Float32Array(rows * width);
  const y = new Float32Array(rows);
  const rho = new Float32Array(rows);
  let backgroundWeight = 0;
  examples.forEach((example, r) => {
    for (let k = space.offsets[example.item]!; k < space.offsets[example.item + 1]!; k++) {
      const column = columnOf.get(space.indices[k]!);
      if (column !== undefined) x[r * width + column] = space.values[k]!;
    }
    y[r] = example.label;
    rho[r] = example.weight * recencyWeight(input.seq - example.seq);
    if (example.label === 1) backgroundWeight += rho[r]! * BACKGROUND_WEIGHT;
  });
  // The last row is the average item, a negative weighted by the positives it contrasts.
  const last = examples.length;
  let backgroundOffset = 0;
  for (let f = 0; f < background.length; f++) {
    if (background[f] === 0 || mask[f]) continue;
    const column = columnOf.get(f);
    if (column !== undefined) x[last * width + column] = background[f]!;
    else backgroundOffset += weights[f]! * background[f]!;
  }
  rho[last] = backgroundWeight;
  const offsets = new Float32Array(rows);
  offsets[last] = backgroundOffset;
  let total = 0;
  for (const r of rho) total += r;

  const initial = new Float32Array(width);
  columns.forEach((f, c) => (initial[c] = weights[f]!));
  const w = variable(tensor2d(initial, [width, 1]));
  const b = variable(scalar(input.bias));
  const xs = tensor2d(x, [rows, width]);
  const ys = tensor1d(y);
  const rs = tensor1d(rho);
  const os = tensor1d(offsets);
  const optimizer = train.adam(FIT_LEARNING_RATE);
  const objective = (): Scalar =>
    tidy(() => {
      const z = add(add(reshape(matMul(xs, w), [rows]), b), os);
      // Binary cross-entropy on logits: softplus(z) − y·z.
      const losses = sub(softplus(z), mul(ys, z));
      const data = div(sum(mul(losses, rs)), scalar(total));
      return add(data, mul(sum(square(w)), scalar(L2_PENALTY / 2))) as Scalar;
    });
  let loss = 0;
  for (let step = 0; step < FIT_STEPS; step++) {
    const value = optimizer.minimize(objective, step === FIT_STEPS - 1, [w, b]);
    if (value) {
      loss = (await value.data())[0]!;
      value.dispose();
    }
  }
  const fitted = await w.data();
  const fittedBias = (await b.data())[0]!;
  columns.forEach((f, c) => (weights[f] = Math.max(-MAX_WEIGHT, Math.min(MAX_WEIGHT, fitted[c]!))));
  for (const tensor of [w, b, xs, ys, rs, os]) tensor.dispose();
  optimizer.dispose();
  return { weights, bias: fittedBias, loss };
}

/**
 * bias + w·x for the given items, computed by tfjs over dense feature rows: the tfjs half of
 * "the typed-array scorer and the tfjs model give the same scores" (muted features zeroed).
 */
export async function contentLogitsTf(space: FeatureSpace, weights: Float32Array, bias: number, mask: Uint8Array, items: number[]): Promise<Float32Array> {
  await ensureBackend();
  const x = new Float32Array(items.length * space.dim);
  items.forEach((item, r) => {
    for (let k = space.offsets[item]!; k < space.offsets[item + 1]!; k++) x[r * space.dim + space.indices[k]!] = space.values[k]!;
  });
  const masked = weights.map((value, f) => (mask[f] ? 0 : value));
  const result = tidy(() => add(reshape(matMul(tensor2d(x, [items.length, space.dim]), tensor2d(masked, [space.dim, 1])), [items.length]), scalar(bias)));
  const logits = (await result.data()) as Float32Array;
  result.dispose();
  return Float32Array.from(logits);
}
