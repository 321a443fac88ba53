/**
 * Neural-network ops: softmax / log-softmax and layer norm as fused kernels (one each way), and
 * cross-entropy, cosine similarity and L2 normalisation composed from primitives.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import { layernormSource, softmaxSource, templateKernel } from './kernels';
import { tuningFor } from '../gpu/tuning';

/** Row kernels: one 8-lane subgroup per row on adapters with 8-wide subgroups, else 64 threads. */
const rowSG = () => (tuningFor(runtime()).matmul === 'sg8' ? 1 : 0);
const softmaxK = (entry: string) => templateKernel('softmax', softmaxSource, { SG: rowSG() }, entry);
/**
 * Layer norm kernels. With 8-wide subgroups and rows of at most 256 columns: the register kernel
 * (shaders/layernorm.wgsl `rows`, forward or backward), LN_RB rows per subgroup, whose backward also
 * gives the weight-gradient partials (one per LN_RB rows); otherwise the loop kernels, 64-row partials.
 * Why 256: the unrolled rows take lavapipe long to compile (fwd + bwd: 1.6 s at 128 columns, 2.7 s at
 * 192, 4.5 s at 256, 8.7 s at 384, 29 s at 768, against 0.55 s for the loop kernels), once per run.
 */
const LN_RB = 8;
function layernormKernels(cols: number) {
  const SG = rowSG();
  const CPL = SG && cols <= 256 ? Math.ceil(cols / 8) : 0;
  const params = { SG, CPL, RB: LN_RB, CHUNK: CPL ? LN_RB : 64, BWD: 0 };
  const k = (entry: string, BWD = 0) => templateKernel('layernorm', layernormSource, { ...params, BWD }, entry);
  return { rows: CPL > 0, chunk: params.CHUNK, k, fwd: () => k('rows', 0), bwd: () => k('rows', 1) };
}
import { assertShape, checkF32, empty, grid, runtime } from './util';
import type { OpSpec } from './spec';
import { div, maximum, mul } from './binary';
import { mean, sum } from './reduce';
import { sqrt, neg } from './unary';
import { indexSelect } from './index-ops';
import { reshape } from './shape';

function rowsOf(op: string, x: Tensor): { rows: number; cols: number } {
  checkF32(op, x);
  if (x.rank < 1) throw new Error(`${op}: needs rank >= 1`);
  const cols = x.shape[x.rank - 1];
  return { rows: x.size / Math.max(cols, 1), cols };
}

function softmaxImpl(x: Tensor, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  const { rows, cols } = rowsOf(name, x);
  const y = empty(x.shape);
  const uniforms = { rows, cols };
  runtime().dispatch(softmaxK('main'), { buffers: { x: x.buffer, y: y.buffer }, uniforms, workgroups: grid(rows, 1), overrides: { LOG: log ? 1 : 0 } });
  return record(name, y, [x], [y], (g, [ys]) => {
    const dx = empty(ys.shape);
    runtime().dispatch(softmaxK('backward'), { buffers: { x: ys.buffer, g: g.buffer, dx: dx.buffer }, uniforms, workgroups: grid(rows, 1), overrides: { LOG: log ? 1 : 0 } });
    return [dx];
  });
}

/** Softmax over the last axis. */
export const softmax = (x: Tensor) => softmaxImpl(x, false);
/** Log-softmax over the last axis. */
export const logSoftmax = (x: Tensor) => softmaxImpl(x, true);

/** Layer norm over the last axis with optional affine weight and bias ([cols] each). */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-6): Tensor {
  const { rows, cols } = rowsOf('layerNorm', x);
  if ((weight === null) !== (bias === null)) throw new Error('layerNorm: give both weight and bias, or neither');
  if (weight) assertShape('layerNorm', 'weight', weight.shape, [cols]);
  if (bias) assertShape('layerNorm', 'bias', bias.shape, [cols]);
  const affine = weight ? 1 : 0;
  const y = empty(x.shape);
  const stats = empty([rows, 2]);
  // Unused bindings still need a buffer: x stands in for absent weight and bias.
  const w = weight ?? x, b = bias ?? x;
  const uniforms = { rows, cols, eps, affine };
  const K = layernormKernels(cols);
  const chunks = Math.ceil(rows / K.chunk);
  if (K.rows) runtime().dispatch(K.fwd(), { buffers: { x: x.buffer, w: w.buffer, b: b.buffer, y: y.buffer, stats: stats.buffer }, uniforms, workgroups: grid(chunks, 1) });
  else runtime().dispatch(K.k('main'), { buffers: { x: x.buffer, w: w.buffer, b: b.buffer, y: y.buffer, stats: stats.buffer }, uniforms, workgroups: grid(rows, 1) });
  const inputs = weight && bias ? [x, weight, bias] : [x];
  const out = record('layerNorm', y, inputs, [x, w, stats], (g, [xs, ws, st]) => {
    const dx = empty(xs.shape);
    // The register kernel writes the weight-gradient partials itself (affine only; without weights it
    // writes nothing, but the binding needs a buffer of its own).
    const part = empty(affine ? [chunks, cols, 2] : [2]);
    if (K.rows) runtime().dispatch(K.bwd(), { buffers: { x: xs.buffer, w: ws.buffer, g: g.buffer, dx: dx.buffer, st: st.buffer, part: part.buffer }, uniforms, workgroups: grid(chunks, 1) });
    else runtime().dispatch(K.k('backward'), { buffers: { x: xs.buffer, w: ws.buffer, g: g.buffer, dx: dx.buffer, st: st.buffer }, uniforms, workgroups: grid(rows, 1) });
    if (!affine) { part.dispose(); return [dx]; }
    const dw = empty([cols]), db = empty([cols]);
    if (!K.rows) runtime().dispatch(K.k('params_partial'), { buffers: { x: xs.buffer, g: g.buffer, part: part.buffer, st: st.buffer }, uniforms, workgroups: [Math.ceil(cols / 64), chunks] });
    runtime().dispatch(K.k('params_final'), { buffers: { partIn: part.buffer, dw: dw.buffer, db: db.buffer }, uniforms, workgroups: [Math.ceil(cols / 64)] });
    part.dispose();
    return [dx, dw, db];
  });
  stats.dispose();
  return out;
}

/** Mean cross-entropy of logits [N, C] against int32 class indices [N]. */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  if (logits.rank !== 2) throw new Error(`crossEntropy: logits must be [N, C], got [${logits.shape}]`);
  if (targets.dtype !== 'i32' || targets.rank !== 1 || targets.shape[0] !== logits.shape[0]) {
    throw new Error(`crossEntropy: targets must be int32 [${logits.shape[0]}], got ${targets.dtype} [${targets.shape}]`);
  }
  const lp = logSoftmax(logits);
  const picked = indexSelect(lp, 1, reshape(targets, [targets.shape[0], 1]));
  const m = mean(picked);
  const loss = neg(m);
  for (const t of [lp, picked, m]) t.dispose();
  return loss;
}

/** x / max(‖x‖₂, eps) along `axis`. */
export function l2Normalize(x: Tensor, axis = -1, eps = 1e-8): Tensor {
  const sq = mul(x, x);
  const ss = sum(sq, axis, true);
  const n = sqrt(ss);
  const d = maximum(n, eps);
  const y = div(x, d);
  for (const t of [sq, ss, n, d]) t.dispose();
  return y;
}

/** Cosine similarity along `axis`, each side divided by max(‖·‖, eps). */
export function cosineSimilarity(a: Tensor, b: Tensor, axis = -1, eps = 1e-8): Tensor {
  const na = l2Normalize(a, axis, eps), nb = l2Normalize(b, axis, eps);
  const p = mul(na, nb);
  const s = sum(p, axis);
  for (const t of [na, nb, p]) t.dispose();
  return s;
}

// ---- references ----

function rowsRef(x: NDArray, f: (row: Float64Array) => Float64Array): NDArray {
  const cols = x.shape[x.shape.length - 1];
  const o = nd(x.shape);
  for (let r = 0; r < x.data.length / cols; r++) o.data.set(f(x.data.subarray(r * cols, (r + 1) * cols)), r * cols);
  return o;
}

const softmaxRow = (row: Float64Array) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function layerNormRef(x: NDArray, w?: NDArray, b?: NDArray, eps = 1e-6): NDArray {
  return rowsRef(x, (row) => {
    const n = row.length;
    const m = row.reduce((a, v) => a + v, 0) / n;
    const v = row.reduce((a, t) => a + (t - m) ** 2, 0) / n;
    return row.map((t, j) => ((t - m) / Math.sqrt(v + eps)) * (w ? w.data[j] : 1) + (b ? b.data[j] : 0));
  });
}

const cols = [[[1, 1]], [[7, 7]], [[5, 33]], [[3, 257]], [[2, 3, 190]]];

export const nnSpecs: OpSpec[] = [
  { name: 'softmax', cases: cols, gpu: ([x]) => softmax(x), ref: ([x]) => rowsRef(x, softmaxRow), tol: { atol: 1e-6, rtol: 1e-5 } },
  { name: 'logSoftmax', cases: cols, gpu: ([x]) => logSoftmax(x), ref: ([x]) => rowsRef(x, (r) => softmaxRow(r).map(Math.log)), tol: { atol: 1e-5, rtol: 1e-5 } },
  {
    name: 'layerNorm(affine)',
    // [150, 8] has more rows than one 64-row chunk of the two-stage weight/bias gradient (and 19
    // register-kernel blocks of 8 rows, the last one short); 256 columns are the most the register
    // kernels take, 257 the fewest the loop kernels do.
    cases: [[[7, 7], [7], [7]], [[5, 33], [33], [33]], [[3, 257], [257], [257]], [[2, 3, 192], [192], [192]], [[150, 8], [8], [8]], [[9, 256], [256], [256]]],
    gpu: ([x, w, b]) => layerNorm(x, w, b), ref: ([x, w, b]) => layerNormRef(x, w, b),
    tol: { atol: 1e-5, rtol: 1e-5, gradAtol: 2e-4, gradRtol: 2e-4 },
  },
  { name: 'layerNorm(no affine)', cases: [[[7, 33]], [[4, 257]]], gpu: ([x]) => layerNorm(x, null, null), ref: ([x]) => layerNormRef(x), tol: { atol: 1e-5, rtol: 1e-5, gradAtol: 2e-4, gradRtol: 2e-4 } },
  {
    name: 'crossEntropy',
    cases: [[[1, 1], [1]], [[7, 5], [7]], [[33, 10], [33]], [[257, 3], [257]]],
    gpu: ([x, t]) => crossEntropy(x, t),
    ref: ([x, t]) => {
      const lp = rowsRef(x, (r) => softmaxRow(r).map(Math.log));
      const C = x.shape[1];
      let s = 0;
      for (let i = 0; i < x.shape[0]; i++) s -= lp.data[i * C + t.data[i]];
      return nd([], [s / x.shape[0]]);
    },
    intInputs: [1],
    makeInput: (shapes, i, rand) => (i === 1 ? Array.from({ length: shapes[1][0] }, () => Math.floor(rand() * shapes[0][1])) : null),
    grad: [true, false],
    tol: { atol: 1e-5, rtol: 1e-5 },
  },
  {
    name: 'l2Normalize', cases: [[[1, 1]], [[7, 33]], [[3, 257]]], gpu: ([x]) => l2Normalize(x),
    ref: ([x]) => rowsRef(x, (r) => { const n = Math.max(Math.sqrt(r.reduce((a, v) => a + v * v, 0)), 1e-8); return r.map((v) => v / n); }),
    tol: { atol: 1e-6, rtol: 1e-5 },
  },
  {
    name: 'cosineSimilarity', cases: [[[7, 33], [7, 33]], [[3, 257], [1, 257]]], gpu: ([a, b]) => cosineSimilarity(a, b),
    ref: ([a, b]) => {
      const C = a.shape[1], R = a.shape[0];
      const o = nd([R]);
      for (let r = 0; r < R; r++) {
        const br = b.shape[0] === 1 ? 0 : r;
        let d = 0, na = 0, nb = 0;
        for (let j = 0; j < C; j++) { const u = a.data[r * C + j], v = b.data[br * C + j]; d += u * v; na += u * u; nb += v * v; }
        o.data[r] = d / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
      }
      return o;
    },
    tol: { atol: 1e-6, rtol: 1e-5 },
  },
];
