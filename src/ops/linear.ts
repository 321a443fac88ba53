/**
 * linear(x, W, b, {gelu, residual}) = act(x·Wᵀ + b) + residual with W [out, in] (PyTorch layout);
 * bias, exact GELU and the residual (a transformer block's skip connection) fused into the matmul
 * epilogue. x may have any leading dims. Backward: the residual gets g itself; gz = g·gelu'(z) (z,
 * the pre-activation, is saved by the forward kernel only when a gradient will be needed), then
 * dx = gz·W, dW = gzᵀ·x (transposed operand read in place, no copy), db = Σ_rows gz.
 */
import { Tensor } from '../tensor/tensor';
import { isGradEnabled, record } from '../tensor/tape';
import { erf, matmulND, nd, type NDArray } from '../tensor/ndarray';
import { mmDispatch } from './matmul-kernels';
import { unaryCode, unaryK } from './kernels';
import { assertShape, checkF32, empty, grid, runtime } from './util';
import { sum } from './reduce';
import type { OpSpec } from './spec';

export interface LinearOptions {
  gelu?: boolean;
  /** Added to the output last (after GELU), in the same kernel: x + f(x) without an add pass. */
  residual?: Tensor | null;
}

/** A view of `t` with another shape, outside autograd (the op records its own node). */
function view(t: Tensor, shape: number[]): Tensor { return new Tensor(shape, t.storage.retain(), t.dtype); }

export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: LinearOptions = {}): Tensor {
  checkF32('linear', x, weight);
  if (weight.rank !== 2) throw new Error(`linear: weight must be [out, in], got [${weight.shape}]`);
  const [out, inF] = weight.shape;
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) throw new Error(`linear: input [${x.shape}] does not end in ${inF} (weight [${weight.shape}])`);
  if (bias) { checkF32('linear', bias); assertShape('linear', 'bias', bias.shape, [out]); }
  const rows = x.size / Math.max(inF, 1);
  const gelu = !!opts.gelu;
  const res = opts.residual ?? null;
  if (res) { checkF32('linear', res); assertShape('linear', 'residual', res.shape, [...x.shape.slice(0, -1), out]); }
  const inputs = [x, weight, ...(bias ? [bias] : []), ...(res ? [res] : [])];
  const needGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const x2 = view(x, [rows, inF]);
  const r2 = res && view(res, [rows, out]);
  const { y: y2, z } = mmDispatch(x2, weight, false, true, { bias, gelu, saveZ: gelu && needGrad, residual: r2 });
  x2.dispose();
  r2?.dispose();
  const y = view(y2, [...x.shape.slice(0, -1), out]);
  y2.dispose();
  const saved = z ? [x, weight, z] : [x, weight];
  const r = record(gelu ? 'linear+gelu' : 'linear', y, inputs, saved, (g, [xs, ws, zs]) => {
    // The residual's gradient is g itself (taken before gz replaces it).
    const dres = res?.requiresGrad ? g.detach() : null;
    let gz = view(g, [rows, out]);
    if (zs) {
      const d = empty([rows, out]);
      runtime().dispatch(unaryK('backward'), { buffers: { x: zs.buffer, g: gz.buffer, dx: d.buffer }, uniforms: { n: d.size }, workgroups: grid(d.size), overrides: { OP: unaryCode('gelu') } });
      gz.dispose();
      gz = d;
    }
    const { dx, dw, db } = linearGrads(gz, xs, ws, { x: x.requiresGrad, w: weight.requiresGrad, b: !!bias?.requiresGrad });
    gz.dispose();
    return [dx, dw, ...(bias ? [db] : []), ...(res ? [dres] : [])];
  });
  z?.dispose();
  return r;
}

/**
 * The gradients of a linear layer from gz = dL/d(x·Wᵀ + b) [rows, out], only those asked for (no
 * dX for a data input such as patch rows): dx = gz·W, dW = gzᵀ·x, and db = Σ_rows gz, which comes
 * with dW's matmul (fused on sg8 adapters) or as a sum when W needs none.
 */
function linearGrads(gz: Tensor, x: Tensor, w: Tensor, need: { x: boolean; w: boolean; b: boolean }): { dx: Tensor | null; dw: Tensor | null; db: Tensor | null } {
  const [rows, inF] = [gz.shape[0], w.shape[1]];
  let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
  if (need.x) {
    const dx2 = mmDispatch(gz, w, false, false).y;
    dx = view(dx2, [...x.shape]);
    dx2.dispose();
  }
  if (need.w) {
    const xv = view(x, [rows, inF]);
    ({ y: dw, rowSum: db } = mmDispatch(gz, xv, true, false, { rowSum: need.b }));
    xv.dispose();
  } else if (need.b) db = sum(gz, 0);
  return { dx, dw, db };
}

export interface MlpOptions {
  /** Added to the output last, in fc2's kernel (a block's skip connection). */
  residual?: Tensor | null;
}

/**
 * mlp(x, W1, b1, W2, b2) = GELU(x·W1ᵀ + b1)·W2ᵀ + b2 (+ residual), a transformer MLP as one op: the
 * forward is two fused linears; the backward takes the gradient through the GELU inside the matmul
 * that makes it, dZ = (g·W2) ⊙ gelu'(Z) (the DGELU epilogue), instead of writing g·W2 and reading it
 * back in a separate pass over the [rows, hidden] activations.
 */
export function mlp(x: Tensor, w1: Tensor, b1: Tensor | null, w2: Tensor, b2: Tensor | null, opts: MlpOptions = {}): Tensor {
  checkF32('mlp', x, w1, w2);
  if (w1.rank !== 2 || w2.rank !== 2) throw new Error(`mlp: weights must be [out, in], got [${w1.shape}] and [${w2.shape}]`);
  const [hidden, inF] = w1.shape, out = w2.shape[0];
  if (w2.shape[1] !== hidden) throw new Error(`mlp: fc2 weight [${w2.shape}] does not take fc1's ${hidden} outputs`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) throw new Error(`mlp: input [${x.shape}] does not end in ${inF} (fc1 weight [${w1.shape}])`);
  if (b1) { checkF32('mlp', b1); assertShape('mlp', 'fc1 bias', b1.shape, [hidden]); }
  if (b2) { checkF32('mlp', b2); assertShape('mlp', 'fc2 bias', b2.shape, [out]); }
  const res = opts.residual ?? null;
  const outShape = [...x.shape.slice(0, -1), out];
  if (res) { checkF32('mlp', res); assertShape('mlp', 'residual', res.shape, outShape); }
  const rows = x.size / Math.max(inF, 1);
  const inputs = [x, w1, ...(b1 ? [b1] : []), w2, ...(b2 ? [b2] : []), ...(res ? [res] : [])];
  const needGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const x2 = view(x, [rows, inF]);
  const { y: h, z } = mmDispatch(x2, w1, false, true, { bias: b1, gelu: true, saveZ: needGrad });
  x2.dispose();
  const r2 = res && view(res, [rows, out]);
  const y2 = mmDispatch(h, w2, false, true, { bias: b2, residual: r2 }).y;
  r2?.dispose();
  const y = view(y2, outShape);
  y2.dispose();
  const r = record('mlp', y, inputs, needGrad ? [x, w1, z!, h, w2] : [], (g, [xs, w1s, zs, hs, w2s]) => {
    const gv = view(g, [rows, out]);
    const dres = res?.requiresGrad ? g.detach() : null;
    const fc2 = linearGrads(gv, hs, w2s, { x: false, w: w2.requiresGrad, b: !!b2?.requiresGrad });
    let fc1: ReturnType<typeof linearGrads> = { dx: null, dw: null, db: null };
    if (x.requiresGrad || w1.requiresGrad || b1?.requiresGrad) {
      const dz = mmDispatch(gv, w2s, false, false, { dgelu: zs }).y;
      fc1 = linearGrads(dz, xs, w1s, { x: x.requiresGrad, w: w1.requiresGrad, b: !!b1?.requiresGrad });
      dz.dispose();
    }
    gv.dispose();
    return [fc1.dx, fc1.dw, ...(b1 ? [fc1.db] : []), fc2.dw, ...(b2 ? [fc2.db] : []), ...(res ? [dres] : [])];
  });
  h.dispose();
  z?.dispose();
  return r;
}

// ---- reference ----

function linearRef(x: NDArray, w: NDArray, b: NDArray | null, gelu: boolean, res: NDArray | null = null): NDArray {
  const inF = w.shape[1], out = w.shape[0];
  const rows = x.data.length / inF;
  const y = matmulND(nd([rows, inF], x.data), w, false, true);
  for (let i = 0; i < rows; i++) for (let j = 0; j < out; j++) {
    let v = y.data[i * out + j] + (b ? b.data[j] : 0);
    if (gelu) v = 0.5 * v * (1 + erf(v / Math.SQRT2));
    y.data[i * out + j] = v + (res ? res.data[i * out + j] : 0);
  }
  return nd([...x.shape.slice(0, -1), out], y.data);
}

// Odd sizes take the general kernel; multiples of 4 take the vec4 kernels (sg8 or tile), with and
// without split-K (K = 512 over few rows), with a partial last row block and column group. The bias
// gradient comes from dW's kernel on sg8 (row sums of dYᵀ): with k past the end zeroed (33, 70 rows),
// a partial block of output rows (40), and split over many rows (300: summed separately).
const cases: number[][][] = [
  [[1, 1], [1, 1], [1]], [[7, 33], [5, 33], [5]], [[2, 3, 8], [12, 8], [12]],
  [[33, 64], [36, 64], [36]], [[5, 512], [8, 512], [8]], [[70, 20], [44, 20], [44]],
  [[64, 16], [40, 16], [40]], [[300, 8], [8, 8], [8]],
];
const tol = { atol: 2e-5, rtol: 1e-4, gradAtol: 2e-4, gradRtol: 1e-3 };
const withResidual = cases.map(([x, w, b]) => [x, w, b, [...x.slice(0, -1), w[0]]]);
const mlpCase = (x: number[], hidden: number, out: number): number[][] => [x, [hidden, x[x.length - 1]], [hidden], [out, hidden], [out], [...x.slice(0, -1), out]];
const mlpCases: number[][][] = [mlpCase([3, 5], 7, 5), mlpCase([2, 3, 8], 12, 8), mlpCase([70, 16], 64, 16), mlpCase([4, 32], 512, 12), mlpCase([4, 8], 16, 256), mlpCase([33, 20], 36, 20)];

export const linearSpecs: OpSpec[] = [
  { name: 'linear', cases, gpu: ([x, w, b]) => linear(x, w, b), ref: ([x, w, b]) => linearRef(x, w, b, false), tol },
  { name: 'linear(gelu)', cases, gpu: ([x, w, b]) => linear(x, w, b, { gelu: true }), ref: ([x, w, b]) => linearRef(x, w, b, true), tol },
  { name: 'linear(no bias)', cases: cases.map((c) => c.slice(0, 2)), gpu: ([x, w]) => linear(x, w), ref: ([x, w]) => linearRef(x, w, null, false), tol },
  // The residual in the epilogue on every path above (general, sg8/tile, split-K), after GELU.
  { name: 'linear(residual)', cases: withResidual, gpu: ([x, w, b, r]) => linear(x, w, b, { residual: r }), ref: ([x, w, b, r]) => linearRef(x, w, b, false, r), tol },
  { name: 'linear(gelu, residual)', cases: withResidual, gpu: ([x, w, b, r]) => linear(x, w, b, { gelu: true, residual: r }), ref: ([x, w, b, r]) => linearRef(x, w, b, true, r), tol },
  // x, W1, b1, W2, b2, residual: the general kernel (odd sizes), the vec4 kernels (many rows: the sg8
  // path copies W2 to [hidden, out] for dZ), few rows and a wide hidden layer, split-K in dZ (few rows,
  // out 256), leading dims.
  {
    name: 'mlp(residual)', cases: mlpCases,
    gpu: ([x, w1, b1, w2, b2, r]) => mlp(x, w1, b1, w2, b2, { residual: r }),
    ref: ([x, w1, b1, w2, b2, r]) => linearRef(linearRef(x, w1, b1, true), w2, b2, false, r), tol,
  },
  {
    name: 'mlp(no biases)', cases: mlpCases.map(([x, w1, , w2]) => [x, w1, w2]),
    gpu: ([x, w1, w2]) => mlp(x, w1, null, w2, null), ref: ([x, w1, w2]) => linearRef(linearRef(x, w1, null, true), w2, null, false), tol,
  },
];
