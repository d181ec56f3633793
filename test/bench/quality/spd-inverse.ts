/**
 * Inverse of a symmetric positive definite matrix (row-major Float64Array, n × n) by Cholesky:
 * G = L·Lᵀ, Y = L⁻¹ by forward substitution, G⁻¹ = Yᵀ·Y. Every inner loop runs along a row, so
 * the 1682 × 1682 EASE system (about n³/2 multiply-adds) takes a few seconds in plain JS.
 */
export function invertSpd(matrix: Float64Array, n: number): Float64Array {
  if (matrix.length !== n * n) throw new Error(`invertSpd: expected ${n * n} entries, got ${matrix.length}`);
  const lower = choleskyLower(matrix, n);
  const inverseLower = invertLowerTriangular(lower, n);
  return gramOfRows(inverseLower, n);
}

/** Cholesky–Banachiewicz, row by row: L[i][j] = (G[i][j] − Σ_k<j L[i][k]·L[j][k]) / L[j][j]. */
function choleskyLower(g: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      let sum = g[rowI + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[rowI + k] as number) * (l[rowJ + k] as number);
      if (i === j) {
        if (!(sum > 0)) throw new Error(`invertSpd: matrix is not positive definite (pivot ${i}: ${sum})`);
        l[rowI + i] = Math.sqrt(sum);
      } else {
        l[rowI + j] = sum / (l[rowJ + j] as number);
      }
    }
  }
  return l;
}

/** Y = L⁻¹, row by row: Y[i] = (e_i − Σ_k<i L[i][k]·Y[k]) / L[i][i]; row k of Y is zero past column k. */
function invertLowerTriangular(l: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    y[rowI + i] = 1;
    for (let k = 0; k < i; k++) {
      const factor = l[rowI + k] as number;
      if (factor === 0) continue;
      const rowK = k * n;
      for (let c = 0; c <= k; c++) y[rowI + c]! -= factor * (y[rowK + c] as number);
    }
    const pivot = l[rowI + i] as number;
    for (let c = 0; c <= i; c++) y[rowI + c]! /= pivot;
  }
  return y;
}

/** Yᵀ·Y for lower-triangular Y, accumulated one row of Y at a time, then mirrored. */
function gramOfRows(y: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let a = 0; a <= i; a++) {
      const ya = y[rowI + a] as number;
      if (ya === 0) continue;
      const rowA = a * n;
      for (let b = 0; b <= a; b++) out[rowA + b]! += ya * (y[rowI + b] as number);
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) out[b * n + a] = out[a * n + b] as number;
  return out;
}
