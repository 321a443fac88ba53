/**
 * A deterministic closed-form linear probe, reported beside the EVAR protocol: ridge regression
 * (regularised least squares) from standardised features to one-hot class targets, predicting the
 * arg-max. λ is chosen on the validation set from a fixed grid; there is no initialisation, batch
 * order or early stopping, so for a given split the answer is a pure function of the features.
 * At the proxy sets' size (hundreds of clips, ~2000 dims), where EVAR's Adam run depends on its
 * seed by ±10 points, this gives a number that does not.
 *
 * With the standardised train features X [n, d] and centred one-hot targets Y, the weights are
 * W = (XᵀX + λ·n·I)⁻¹ XᵀY, computed in float64 by Cholesky, in the dual form
 * W = Xᵀ(XXᵀ + λ·n·I)⁻¹Y when n < d (the same W, a smaller system). λ is relative to n, so the
 * grid means the same at every set size (XᵀX/n has a unit diagonal). Platform-neutral.
 */
import { standardizer, type FeatureSet } from './linear';
import { accuracy } from './metrics';

/** λ grid (relative to n): 1e-4 … 1e3. */
export const RIDGE_LAMBDAS = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];

export interface RidgeResult {
  testAcc: number;
  validAcc: number;
  /** The λ chosen on validation (ties go to the larger λ). */
  lambda: number;
  /** Validation accuracy for every λ of the grid. */
  validByLambda: { lambda: number; acc: number }[];
  testPred: Int32Array;
}

/** In-place Cholesky of a symmetric positive-definite [m, m] matrix (lower triangle). */
export function cholesky(a: Float64Array, m: number): void {
  for (let j = 0; j < m; j++) {
    let s = a[j * m + j];
    for (let k = 0; k < j; k++) s -= a[j * m + k] * a[j * m + k];
    if (!(s > 0)) throw new Error(`ridge: matrix not positive definite at ${j} (${s})`);
    const l = Math.sqrt(s);
    a[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let t = a[i * m + j];
      for (let k = 0; k < j; k++) t -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = t / l;
    }
  }
}

/** Solve L Lᵀ Z = B for Z [m, c] (B overwritten), L from {@link cholesky}. */
export function choleskySolve(l: Float64Array, m: number, b: Float64Array, c: number): void {
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < i; k++) { const f = l[i * m + k]; for (let j = 0; j < c; j++) b[i * c + j] -= f * b[k * c + j]; }
    const d = l[i * m + i];
    for (let j = 0; j < c; j++) b[i * c + j] /= d;
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let k = i + 1; k < m; k++) { const f = l[k * m + i]; for (let j = 0; j < c; j++) b[i * c + j] -= f * b[k * c + j]; }
    const d = l[i * m + i];
    for (let j = 0; j < c; j++) b[i * c + j] /= d;
  }
}

function standardized64(s: FeatureSet, mean: Float32Array, std: Float32Array): Float64Array {
  const out = new Float64Array(s.n * s.dim);
  for (let i = 0; i < s.n; i++) for (let d = 0; d < s.dim; d++) out[i * s.dim + d] = (s.x[i * s.dim + d] - mean[d]) / std[d];
  return out;
}

/** A·Bᵀ for row-major A [p, d], B [q, d]. */
function gramAB(a: Float64Array, p: number, b: Float64Array, q: number, d: number): Float64Array {
  const out = new Float64Array(p * q);
  for (let i = 0; i < p; i++) {
    const ai = i * d;
    for (let j = 0; j < q; j++) {
      const bj = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += a[ai + k] * b[bj + k];
      out[i * q + j] = s;
    }
  }
  return out;
}

/** Arg-max of each row of scores [n, c] + prior [c] (first index wins ties). */
function argmaxWithPrior(scores: Float64Array, n: number, c: number, prior: Float64Array): Int32Array {
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bv = -Infinity;
    for (let j = 0; j < c; j++) { const v = scores[i * c + j] + prior[j]; if (v > bv) { bv = v; best = j; } }
    pred[i] = best;
  }
  return pred;
}

/**
 * Fit on train for every λ of the grid, keep the λ with the best validation accuracy (the larger λ
 * on ties: the simpler model), and report its test accuracy.
 */
export function trainRidge(trainRaw: FeatureSet, validRaw: FeatureSet, testRaw: FeatureSet, nClasses: number, lambdas: readonly number[] = RIDGE_LAMBDAS): RidgeResult {
  if (trainRaw.n < 1 || validRaw.n < 1 || testRaw.n < 1) throw new Error(`ridge probe: need non-empty train/valid/test sets (got ${trainRaw.n}/${validRaw.n}/${testRaw.n})`);
  if (lambdas.length === 0 || lambdas.some((l) => !(l > 0))) throw new Error(`ridge probe: λ grid must be positive numbers, got ${lambdas.join(', ')}`);
  const dim = trainRaw.dim, n = trainRaw.n, C = nClasses;
  for (const [name, s] of [['train', trainRaw], ['valid', validRaw], ['test', testRaw]] as const) {
    if (s.dim !== dim || s.x.length !== s.n * s.dim || s.y.length !== s.n) throw new Error(`ridge probe: ${name} set has inconsistent sizes`);
    for (const c of s.y) if (c < 0 || c >= C) throw new Error(`ridge probe: ${name} label ${c} outside [0, ${C})`);
  }
  const { mean, std } = standardizer(trainRaw);
  const X = standardized64(trainRaw, mean, std), V = standardized64(validRaw, mean, std), T = standardized64(testRaw, mean, std);
  // Centred one-hot targets; the class frequencies are the intercept.
  const prior = new Float64Array(C);
  for (const c of trainRaw.y) prior[c] += 1 / n;
  const Y = new Float64Array(n * C);
  for (let i = 0; i < n; i++) for (let j = 0; j < C; j++) Y[i * C + j] = (trainRaw.y[i] === j ? 1 : 0) - prior[j];

  const dual = n < dim;
  const m = dual ? n : dim;
  // Dual: system XXᵀ, scores = (V Xᵀ) α. Primal: system XᵀX, right side XᵀY, scores = V W.
  const G = dual ? gramAB(X, n, X, n, dim) : (() => {
    const g = new Float64Array(dim * dim);
    for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) { const xa = X[i * dim + a]; if (xa === 0) continue; for (let b = 0; b <= a; b++) g[a * dim + b] += xa * X[i * dim + b]; }
    for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) g[b * dim + a] = g[a * dim + b];
    return g;
  })();
  let rhs: Float64Array;
  if (dual) rhs = Y;
  else {
    rhs = new Float64Array(dim * C);
    for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) { const xa = X[i * dim + a]; for (let j = 0; j < C; j++) rhs[a * C + j] += xa * Y[i * C + j]; }
  }
  const KV = dual ? gramAB(V, validRaw.n, X, n, dim) : V, KT = dual ? gramAB(T, testRaw.n, X, n, dim) : T;
  const inner = dual ? n : dim;
  const scores = (K: Float64Array, rows: number, coef: Float64Array) => {
    const s = new Float64Array(rows * C);
    for (let i = 0; i < rows; i++) for (let k = 0; k < inner; k++) { const v = K[i * inner + k]; if (v === 0) continue; for (let j = 0; j < C; j++) s[i * C + j] += v * coef[k * C + j]; }
    return s;
  };
  const solve = (lambda: number) => {
    const a = G.slice();
    for (let i = 0; i < m; i++) a[i * m + i] += lambda * n;
    cholesky(a, m);
    const coef = rhs.slice();
    choleskySolve(a, m, coef, C);
    return coef;
  };
  const validByLambda: { lambda: number; acc: number }[] = [];
  let best = { lambda: lambdas[0], acc: -1, coef: null as Float64Array | null };
  for (const lambda of [...lambdas].sort((p, q) => p - q)) {
    const coef = solve(lambda);
    const acc = accuracy(argmaxWithPrior(scores(KV, validRaw.n, coef), validRaw.n, C, prior), validRaw.y);
    validByLambda.push({ lambda, acc });
    if (acc >= best.acc) best = { lambda, acc, coef };
  }
  const testPred = argmaxWithPrior(scores(KT, testRaw.n, best.coef!), testRaw.n, C, prior);
  return { testAcc: accuracy(testPred, testRaw.y), validAcc: best.acc, lambda: best.lambda, validByLambda, testPred };
}

/** How clip features read at several encoder blocks side by side are laid out (`--layer 1,4`). */
export interface BlockLayout {
  /** Blocks read (k). */
  count: number;
  /** Features per block and token row (D): index i belongs to block ⌊(i mod k·D) / D⌋. */
  width: number;
}

/** The columns of `s` whose block is in `keep` (a set of block indices). */
function blockColumns(dim: number, layout: BlockLayout, keep: readonly number[]): Int32Array {
  const { count: k, width: D } = layout;
  const cols: number[] = [];
  for (let i = 0; i < dim; i++) if (keep.includes(Math.floor((i % (k * D)) / D))) cols.push(i);
  return Int32Array.from(cols);
}

function selectColumns(s: FeatureSet, cols: Int32Array): FeatureSet {
  const m = cols.length, x = new Float32Array(s.n * m);
  for (let i = 0; i < s.n; i++) for (let j = 0; j < m; j++) x[i * m + j] = s.x[i * s.dim + cols[j]];
  return { x, n: s.n, dim: m, y: s.y };
}

/**
 * The ridge probe on features read at several blocks side by side, choosing on validation which
 * blocks to read as it chooses λ: every non-empty subset of the k blocks, all of them first, each
 * fitted by `trainRidge` with its own λ. A subset replaces the one kept only with strictly better
 * validation accuracy, so on ties the probe reads all blocks (the plain side-by-side read-out).
 * One λ over all blocks' standardised features cannot give an early block's features more weight
 * than the last block's for one task; leaving a block out can. Columns are standardised each on
 * its own, so a subset's fit is the fit on those blocks alone. `blocks`: indices of the blocks read.
 */
export function trainRidgeChoosingBlocks(trainRaw: FeatureSet, validRaw: FeatureSet, testRaw: FeatureSet, nClasses: number, layout: BlockLayout, lambdas: readonly number[] = RIDGE_LAMBDAS): RidgeResult & { blocks: number[] } {
  const { count: k, width: D } = layout;
  if (!(Number.isInteger(k) && k >= 2 && Number.isInteger(D) && D >= 1) || trainRaw.dim % (k * D) !== 0) {
    throw new Error(`ridge probe: ${trainRaw.dim} features are not ${k} blocks of ${D} per token row`);
  }
  const all = Array.from({ length: k }, (_, j) => j);
  const subsets = [all];
  for (let mask = 1; mask < (1 << k) - 1; mask++) subsets.push(all.filter((j) => mask & (1 << j)));
  let best: (RidgeResult & { blocks: number[] }) | null = null;
  for (const keep of subsets) {
    const cols = blockColumns(trainRaw.dim, layout, keep);
    const r = keep.length === k ? trainRidge(trainRaw, validRaw, testRaw, nClasses, lambdas)
      : trainRidge(selectColumns(trainRaw, cols), selectColumns(validRaw, cols), selectColumns(testRaw, cols), nClasses, lambdas);
    if (!best || r.validAcc > best.validAcc) best = { ...r, blocks: keep };
  }
  return best!;
}
