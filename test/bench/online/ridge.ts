/**
 * Online ridge regression, the shared core of the linear anchors (ε-greedy, LinUCB, LinTS):
 * A = λI + Σ x·xᵀ kept as its inverse by Sherman–Morrison, b = Σ r·x, θ = A⁻¹·b.
 */
import { choleskyLower } from '../../../worker/decide/cholesky.js';
import type { RandomSource } from '../../../worker/types.js';

export class Ridge {
  readonly dimensions: number;
  /** A⁻¹, row-major. */
  readonly inverse: Float64Array;
  readonly b: Float64Array;
  readonly theta: Float64Array;
  private readonly scratch: Float64Array;

  constructor(dimensions: number, lambda: number) {
    this.dimensions = dimensions;
    this.inverse = new Float64Array(dimensions * dimensions);
    for (let i = 0; i < dimensions; i++) this.inverse[i * dimensions + i] = 1 / lambda;
    this.b = new Float64Array(dimensions);
    this.theta = new Float64Array(dimensions);
    this.scratch = new Float64Array(dimensions);
  }

  predict(x: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.dimensions; i++) s += this.theta[i]! * x[i]!;
    return s;
  }

  /** xᵀ·A⁻¹·x: the squared width of the confidence ellipsoid along x. */
  variance(x: Float64Array): number {
    const d = this.dimensions;
    let s = 0;
    for (let i = 0; i < d; i++) {
      let row = 0;
      for (let j = 0; j < d; j++) row += this.inverse[i * d + j]! * x[j]!;
      s += x[i]! * row;
    }
    return s;
  }

  update(x: Float64Array, reward: number): void {
    const d = this.dimensions;
    const ax = this.scratch;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.inverse[i * d + j]! * x[j]!;
      ax[i] = s;
    }
    let denominator = 1;
    for (let i = 0; i < d; i++) denominator += x[i]! * ax[i]!;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) this.inverse[i * d + j]! -= (ax[i]! * ax[j]!) / denominator;
    for (let i = 0; i < d; i++) this.b[i]! += reward * x[i]!;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.inverse[i * d + j]! * this.b[j]!;
      this.theta[i] = s;
    }
  }

  /** θ̃ ~ N(θ, scale²·A⁻¹), through the Cholesky factor of A⁻¹. */
  sample(scale: number, random: RandomSource, out: Float64Array): Float64Array {
    const d = this.dimensions;
    const l = choleskyLower(this.inverse, d);
    const z = Float64Array.from({ length: d }, () => standardNormal(random));
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += l[i * d + j]! * z[j]!;
      out[i] = this.theta[i]! + scale * s;
    }
    return out;
  }
}

export function standardNormal(random: RandomSource): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}
