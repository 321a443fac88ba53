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
    // Only the gradients an input needs (no dX for a data input such as patch rows).
    let dx: Tensor | null = null, dw: Tensor | null = null;
    if (x.requiresGrad) {
      const dx2 = mmDispatch(gz, ws, false, false).y;
      dx = view(dx2, [...xs.shape]);
      dx2.dispose();
    }
    let db: Tensor | null = null;
    if (weight.requiresGrad) {
      // The bias gradient Σ_rows gz comes with dW = gzᵀ·x (fused on sg8 adapters).
      const xv = view(xs, [rows, inF]);
      const r = mmDispatch(gz, xv, true, false, { rowSum: !!bias?.requiresGrad });
      dw = r.y;
      db = r.rowSum;
      xv.dispose();
    } else if (bias?.requiresGrad) db = sum(gz, 0);
    gz.dispose();
    return [dx, dw, ...(bias ? [db] : []), ...(res ? [dres] : [])];
  });
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

export const linearSpecs: OpSpec[] = [
  { name: 'linear', cases, gpu: ([x, w, b]) => linear(x, w, b), ref: ([x, w, b]) => linearRef(x, w, b, false), tol },
  { name: 'linear(gelu)', cases, gpu: ([x, w, b]) => linear(x, w, b, { gelu: true }), ref: ([x, w, b]) => linearRef(x, w, b, true), tol },
  { name: 'linear(no bias)', cases: cases.map((c) => c.slice(0, 2)), gpu: ([x, w]) => linear(x, w), ref: ([x, w]) => linearRef(x, w, null, false), tol },
  // The residual in the epilogue on every path above (general, sg8/tile, split-K), after GELU.
  { name: 'linear(residual)', cases: withResidual, gpu: ([x, w, b, r]) => linear(x, w, b, { residual: r }), ref: ([x, w, b, r]) => linearRef(x, w, b, false, r), tol },
  { name: 'linear(gelu, residual)', cases: withResidual, gpu: ([x, w, b, r]) => linear(x, w, b, { gelu: true, residual: r }), ref: ([x, w, b, r]) => linearRef(x, w, b, true, r), tol },
];
