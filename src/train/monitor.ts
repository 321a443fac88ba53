/**
 * Collapse monitors computed on the CPU from read-back matrices: the effective rank of a set of
 * embeddings (RankMe, Garrido et al. 2023): exp of the entropy of the singular values normalised to
 * sum 1. It is min(rows, cols) for well-spread embeddings and falls towards 1 when they collapse.
 */

/** Eigenvalues of a symmetric n×n matrix (row-major, float64) by cyclic Jacobi rotations. */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = m[p * n + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = m[k * n + p], akq = m[k * n + q];
        m[k * n + p] = c * akp - s * akq;
        m[k * n + q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = m[p * n + k], aqk = m[q * n + k];
        m[p * n + k] = c * apk - s * aqk;
        m[q * n + k] = s * apk + c * aqk;
      }
    }
  }
  return Float64Array.from({ length: n }, (_, i) => m[i * n + i]);
}

/** Singular values of a row-major [rows, cols] matrix (via the smaller Gram matrix). */
export function singularValues(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const byRows = rows <= cols;
  const n = byRows ? rows : cols;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) {
    let acc = 0;
    if (byRows) for (let k = 0; k < cols; k++) acc += x[i * cols + k] * x[j * cols + k];
    else for (let k = 0; k < rows; k++) acc += x[k * cols + i] * x[k * cols + j];
    g[i * n + j] = acc;
    g[j * n + i] = acc;
  }
  return symmetricEigenvalues(g, n).map((v) => Math.sqrt(Math.max(v, 0)));
}

/** exp(−Σ p log p) with p = σ / Σσ (zero singular values contribute nothing). */
export function effectiveRank(x: ArrayLike<number>, rows: number, cols: number): number {
  const s = singularValues(x, rows, cols);
  const total = s.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return 0;
  let h = 0;
  for (const v of s) {
    const p = v / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}
