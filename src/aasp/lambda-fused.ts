/**
 * The Lambda Encoder's feature path as one op (shaders/lambda-fused.wgsl): x [R, 1, L] →
 * conv1 (1 → C1, "same" padding) → GELU → conv2 (C1 → C2, stride, padding) → GELU → mean and std over
 * time → [R, 2·C2], in one forward dispatch per batch of signals. Composed (lambdaConv1d, gelu,
 * lambdaConv1d, gelu, meanStdPool) it takes 5 dispatches forward and writes four activations of up
 * to [R, C1, L]; fused it writes none without a graph, and only conv1's GELU output h1 and conv2's
 * pre-GELU output y2 when a backward will run. The backward: dy2 (one elementwise dispatch), dh1 →
 * dy1 with conv1 recomputed (one dispatch), and the lambda-conv weight-gradient kernels.
 * Where one thread per signal does not suit the device (GPUs: too few threads), the tuning table
 * keeps the composed ops (src/gpu/tuning.ts `lambdaFused`).
 */
import lambdaFusedSrc from '../../shaders/lambda-fused.wgsl?raw';
import { grid1d, runtime } from '../gpu/runtime';
import { templateKernel } from '../ops/kernels';
import { tuningFor } from '../gpu/tuning';
import { conv2dRef } from '../ops/conv';
import { empty, type Tensor } from '../tensor/tensor';
import { isGradEnabled, record } from '../tensor/tape';
import { erf, nd, type NDArray } from '../tensor/ndarray';
import type { OpSpec } from '../ops/spec';
import { lambdaConvGrads, lambdaSubgroups, withVariant, type LambdaConvVariant } from './lambda-conv';
import { meanStdPoolRef } from './lambda-pool';

/** conv2 outputs per block of the forward thread (each block's conv1 window is recomputed). */
const TB = 8;
const grid = (n: number): [number, number] => grid1d(Math.ceil(n / 64));

export interface LambdaFusedOptions {
  stride: number; padding: number; eps: number; variant?: LambdaConvVariant;
  /** Values of m per bwd_dy1 thread (default: the adapter's tuning). */
  dy1Block?: number;
}

/** x [R, 1, L], w1 [C1, 1, KW1] (odd KW1, "same" padding), w2 [C2, C1, KW2] → [R, 2·C2]. */
export function lambdaConvPool(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, opts: LambdaFusedOptions): Tensor {
  const where = `lambdaConvPool: x [${x.shape}], w1 [${w1.shape}], b1 [${b1.shape}], w2 [${w2.shape}], b2 [${b2.shape}]`;
  if (x.rank !== 3 || x.shape[1] !== 1 || w1.rank !== 3 || w1.shape[1] !== 1 || w2.rank !== 3 || b1.rank !== 1 || b2.rank !== 1) throw new Error(`${where}: expected x [R, 1, L], w1 [C1, 1, k1], w2 [C2, C1, k2] and rank-1 biases`);
  const [R, , L] = x.shape, [C1, , KW1] = w1.shape, [C2, C1b, KW2] = w2.shape;
  const { stride: STRIDE, padding: PAD2 } = opts;
  if (C1b !== C1 || b1.shape[0] !== C1 || b2.shape[0] !== C2) throw new Error(`${where}: channel counts do not match`);
  if (C1 > 32 || C2 > 32 || KW1 % 2 === 0 || KW1 > 17 || KW2 > 17) throw new Error(`${where}: at most 32 channels, odd conv1 kernel, kernels ≤ 17`);
  const T2 = Math.floor((L + 2 * PAD2 - KW2) / STRIDE) + 1;
  // Each forward block writes h1 at its own STRIDE·TB positions from its window: that needs the
  // window to reach that far (PAD2 + STRIDE ≤ KW2) and the blocks to cover [0, L).
  if (T2 < 1 || PAD2 + STRIDE > KW2 || STRIDE * T2 < L) throw new Error(`${where}: stride ${STRIDE}, padding ${PAD2} over length ${L} is not supported by the fused kernel`);
  const PAD1 = (KW1 - 1) / 2;
  const sg = lambdaSubgroups(opts.variant);
  const save = isGradEnabled() && [x, w1, b1, w2, b2].some((t) => t.requiresGrad);
  // bwd_dy1 reads dy2 at t = m + (j + PAD2 − k)/STRIDE for the matching (j, k): offsets DLO below m
  // to DHI above; MB values of m per thread (tuning: more where loads and broadcasts dominate).
  const offs: number[] = [];
  for (let j = 0; j < STRIDE; j++) for (let k = 0; k < KW2; k++) if ((j + PAD2 - k) % STRIDE === 0) offs.push((j + PAD2 - k) / STRIDE);
  const DLO = -Math.min(0, ...offs), DHI = Math.max(0, ...offs);
  const MB = opts.dy1Block ?? tuningFor(runtime()).lambdaDy1Block;
  const kernel = (entry: string, SAVE = 0) => templateKernel('lambda-fused', lambdaFusedSrc, { C1, C2, KW1, PAD1, KW2, STRIDE, PAD2, TB, SG: sg, SAVE, MB, DLO, DW: MB + DLO + DHI }, entry);
  const u = { R, L, T2, eps: opts.eps };
  const y = empty([R, 2 * C2]);
  const h1 = save ? empty([R, C1, L]) : null, y2 = save ? empty([R, C2, T2]) : null;
  runtime().dispatch(kernel('forward', save ? 1 : 0), {
    buffers: { x: x.buffer, w1: w1.buffer, b1: b1.buffer, w2: w2.buffer, b2: b2.buffer, y: y.buffer, ...(h1 && y2 ? { h1: h1.buffer, y2: y2.buffer } : {}) },
    uniforms: u, workgroups: grid(R),
  });
  if (!h1 || !y2) return y;
  const out = record('lambdaConvPool', y, [x, w1, b1, w2, b2], [x, w1, b1, w2, y, h1, y2], (g, [xs, w1s, b1s, w2s, ys, h1s, y2s]) => {
    const dy2 = empty([R, C2, T2]);
    runtime().dispatch(kernel('bwd_dy2'), { buffers: { y: ys.buffer, y2: y2s.buffer, gy: g.buffer, dy2: dy2.buffer }, uniforms: u, workgroups: grid(R * C2 * Math.ceil(T2 / TB)) });
    const dy1 = empty([R, C1, L]);
    runtime().dispatch(kernel('bwd_dy1'), { buffers: { x: xs.buffer, w1: w1s.buffer, b1: b1s.buffer, w2: w2s.buffer, dy2: dy2.buffer, dy1: dy1.buffer }, uniforms: u, workgroups: grid(R * Math.ceil(Math.ceil(L / STRIDE) / MB)) });
    const conv2 = lambdaConvGrads([R, C1, L], [C2, C1, KW2], { stride: STRIDE, padding: PAD2 }, sg);
    const conv1 = lambdaConvGrads([R, 1, L], [C1, 1, KW1], { padding: PAD1 }, sg);
    const g1 = conv1.dweight(xs, dy1), g2 = conv2.dweight(h1s, dy2);
    const grads = [x.requiresGrad ? conv1.dx(w1s, dy1) : null, g1.weight, g1.bias, g2.weight, g2.bias];
    dy1.dispose();
    dy2.dispose();
    return grads;
  });
  h1.dispose();
  y2.dispose();
  return out;
}

// ---- float64 reference: the composition, literally ----

const geluRef = (t: NDArray) => nd(t.shape, t.data.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))));
const as4 = (t: NDArray) => nd([t.shape[0], t.shape[1], 1, t.shape[2]], t.data);
const as3 = (t: NDArray) => nd([t.shape[0], t.shape[1], t.shape[3]], t.data);

export function lambdaConvPoolRef(x: NDArray, w1: NDArray, b1: NDArray, w2: NDArray, b2: NDArray, stride: number, padding: number, eps: number): NDArray {
  const h1 = geluRef(as3(conv2dRef(as4(x), as4(w1), b1, [1, 1], [0, (w1.shape[2] - 1) / 2])));
  const h2 = geluRef(as3(conv2dRef(as4(h1), as4(w2), b2, [1, stride], [0, padding])));
  return meanStdPoolRef(h2, eps);
}

// ---- op-checker cases: the Lambda Encoder's geometry at odd lengths, and other channel counts ----

const tol = { atol: 2e-5, rtol: 2e-5, gradAtol: 2e-4, gradRtol: 2e-3 };
const spec = (name: string, stride: number, padding: number, cases: number[][][], dy1Block?: number): OpSpec => ({
  name, cases,
  gpu: ([x, w1, b1, w2, b2]) => lambdaConvPool(x, w1, b1, w2, b2, { stride, padding, eps: 1e-5, dy1Block }),
  ref: ([x, w1, b1, w2, b2]) => lambdaConvPoolRef(x, w1, b1, w2, b2, stride, padding, 1e-5),
  domain: [[-2, 2], [-0.5, 0.5], [-0.5, 0.5], [-0.3, 0.3], [-0.5, 0.5]],
  tol,
});
const c = (R: number, L: number, C1: number, C2: number, k1 = 9, k2 = 9) => [[R, 1, L], [C1, 1, k1], [C1], [C2, C1, k2], [C2]];

const base: OpSpec[] = [
  // L = 37: a partial last block (T2 = 19); L = 5: one block, most taps in the padding; L = 64: whole blocks.
  spec('lambdaConvPool(k9, stride2, pad4)', 2, 4, [c(3, 37, 16, 16), c(2, 5, 16, 16), c(1, 64, 16, 16), c(9, 1, 16, 16)]),
  spec('lambdaConvPool(k3/k5, stride1, pad2)', 1, 2, [c(2, 23, 5, 3, 3, 5), c(1, 9, 9, 11, 3, 5)]),
  // bwd_dy1 with one and with three values of m per thread (L = 37: a partial last block).
  spec('lambdaConvPool(k9, stride2, pad4, dy1 block 1)', 2, 4, [c(3, 37, 16, 16)], 1),
  spec('lambdaConvPool(k9, stride2, pad4, dy1 block 3)', 2, 4, [c(2, 37, 16, 16)], 3),
];

/** Every case with the adapter's own variant, and again with the plain (no subgroup) kernels. */
export const lambdaConvPoolSpecs: OpSpec[] = [
  ...base,
  // (Two cases each: the plain kernels take lavapipe long to compile.)
  ...base.map((sp) => ({ ...sp, name: `${sp.name} [plain]`, cases: sp.cases.slice(0, 2), gpu: (xs: Tensor[]) => withVariant('plain', () => sp.gpu(xs)) })),
];
