/**
 * How many directions a set of clip features really uses: the participation ratio (Σλ)² / Σλ² of
 * the eigenvalues λ of the standardised features' covariance. It is d for isotropic features and 1
 * when one direction carries everything. Self-supervised features can put most of their variance
 * into a few directions while the labels live in the small ones: a probe trained by gradient steps
 * with early stopping (EVAR) fits the large directions first and may stop before the small ones,
 * while the closed-form ridge probe uses them all. This number shows when that is the case.
 *
 * No eigendecomposition is needed: Σλ = tr C and Σλ² = ‖C‖²_F, and C's nonzero eigenvalues are
 * those of the smaller of ZᵀZ and ZZᵀ. Platform-neutral, float64 accumulation.
 */

export interface Dimensionality {
  /** (Σλ)² / Σλ², between 1 and `dims`. */
  participation: number;
  /** Feature dimensions with nonzero variance (constant ones are left out). */
  dims: number;
  n: number;
}

/** Participation ratio of row-major features x [n, d] after per-dimension standardisation. */
export function participationRatio(x: ArrayLike<number>, n: number, d: number): Dimensionality {
  if (x.length !== n * d) throw new Error(`participationRatio: ${x.length} values for ${n} × ${d}`);
  if (n < 2) throw new Error(`participationRatio: needs at least 2 rows, got ${n}`);
  const cols: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * d + j] - m) ** 2;
    const s = Math.sqrt(v / n);
    if (!(s > 1e-12 * (Math.abs(m) + 1))) continue; // a constant dimension carries no direction
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = (x[i * d + j] - m) / s;
    cols.push(c);
  }
  const k = cols.length;
  if (k === 0) return { participation: 0, dims: 0, n };
  // C = ZᵀZ (k × k, dot products of standardised columns) or G = ZZᵀ (n × n, dot products of rows):
  // the same nonzero eigenvalues, so take the smaller.
  const vecs = k <= n ? cols : Array.from({ length: n }, (_, i) => Float64Array.from(cols, (c) => c[i]));
  let tr = 0, fro = 0;
  for (let a = 0; a < vecs.length; a++) {
    for (let b = a; b < vecs.length; b++) {
      const va = vecs[a], vb = vecs[b];
      let s = 0;
      for (let i = 0; i < va.length; i++) s += va[i] * vb[i];
      if (a === b) { tr += s; fro += s * s; } else fro += 2 * s * s;
    }
  }
  return { participation: (tr * tr) / fro, dims: k, n };
}
