/** Dense symmetric positive-definite algebra for the small matrices of the reward model (d ≤ 32). */

/** The lower Cholesky factor L of m (row-major d × d), m = L·Lᵀ. */
export function choleskyLower(m: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      // Rounding in rank-one updates can leave a pivot a hair below zero.
      l[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * d + j]!;
    }
  }
  return l;
}

/** Solve m·y = x for symmetric positive-definite m, by forward and back substitution through its Cholesky factor. */
export function solveSymmetric(m: Float64Array, x: Float64Array, d: number): Float64Array {
  const l = choleskyLower(m, d);
  const y = new Float64Array(d);
  for (let r = 0; r < d; r++) {
    let s = x[r]!;
    for (let k = 0; k < r; k++) s -= l[r * d + k]! * y[k]!;
    y[r] = s / l[r * d + r]!;
  }
  for (let r = d - 1; r >= 0; r--) {
    let s = y[r]!;
    for (let k = r + 1; k < d; k++) s -= l[k * d + r]! * y[k]!;
    y[r] = s / l[r * d + r]!;
  }
  return y;
}
