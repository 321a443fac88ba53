/**
 * conv1d and conv2d (NCL / NCHW, groups 1) with stride and zero padding; direct kernels for the
 * forward, the input gradient and the weight gradient (shaders/conv.wgsl).
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import { convK } from './kernels';
import { assertShape, checkF32, empty, grid, runtime } from './util';
import type { OpSpec } from './spec';
import { sum } from './reduce';
import { reshape } from './shape';

export interface Conv2dOptions { stride?: number | [number, number]; padding?: number | [number, number] }

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

/** x [B, Cin, H, W], weight [Cout, Cin, kH, kW], bias [Cout] or null. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  checkF32('conv2d', x, weight);
  if (x.rank !== 4 || weight.rank !== 4) throw new Error(`conv2d: input [${x.shape}] and weight [${weight.shape}] must both be rank 4`);
  const [B, Cin, H, W] = x.shape;
  const [Cout, Cin2, kH, kW] = weight.shape;
  if (Cin !== Cin2) throw new Error(`conv2d: input [${x.shape}] has ${Cin} channels but weight [${weight.shape}] expects ${Cin2}`);
  if (bias) assertShape('conv2d', 'bias', bias.shape, [Cout]);
  const [sH, sW] = pair(opts.stride, 1), [pH, pW] = pair(opts.padding, 0);
  const OH = Math.floor((H + 2 * pH - kH) / sH) + 1, OW = Math.floor((W + 2 * pW - kW) / sW) + 1;
  if (OH < 1 || OW < 1) throw new Error(`conv2d: kernel [${kH}, ${kW}] larger than padded input [${H}, ${W}]`);
  const base = { B, Cin, H, W, Cout, kH, kW, OH, OW, sH, sW, pH, pW, hasBias: bias ? 1 : 0, _p: 0 };
  const y = empty([B, Cout, OH, OW]);
  runtime().dispatch(convK('main'), {
    buffers: { x: x.buffer, w: weight.buffer, bias: (bias ?? weight).buffer, y: y.buffer },
    uniforms: { ...base, total: y.size }, workgroups: grid(y.size, 64),
  });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('conv2d', y, inputs, [x, weight], (g, [xs, ws]) => {
    const dx = empty(xs.shape);
    runtime().dispatch(convK('input_grad'), { buffers: { g: g.buffer, w: ws.buffer, dx: dx.buffer }, uniforms: { ...base, total: dx.size }, workgroups: grid(dx.size, 64) });
    const dw = empty(ws.shape);
    runtime().dispatch(convK('weight_grad'), { buffers: { g: g.buffer, x: xs.buffer, dw: dw.buffer }, uniforms: { ...base, total: dw.size }, workgroups: grid(dw.size, 1) });
    return bias ? [dx, dw, sum(g, [0, 2, 3])] : [dx, dw];
  });
}

/** x [B, Cin, L], weight [Cout, Cin, k], bias [Cout] or null. */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: { stride?: number; padding?: number } = {}): Tensor {
  if (x.rank !== 3 || weight.rank !== 3) throw new Error(`conv1d: input [${x.shape}] and weight [${weight.shape}] must both be rank 3`);
  const x4 = reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]);
  const w4 = reshape(weight, [weight.shape[0], weight.shape[1], 1, weight.shape[2]]);
  const y4 = conv2d(x4, w4, bias, { stride: [1, opts.stride ?? 1], padding: [0, opts.padding ?? 0] });
  const y = reshape(y4, [y4.shape[0], y4.shape[1], y4.shape[3]]);
  for (const t of [x4, w4, y4]) t.dispose();
  return y;
}

export function conv2dRef(x: NDArray, w: NDArray, b: NDArray | null, s: [number, number], p: [number, number]): NDArray {
  const [B, Cin, H, W] = x.shape, [Cout, , kH, kW] = w.shape;
  const OH = Math.floor((H + 2 * p[0] - kH) / s[0]) + 1, OW = Math.floor((W + 2 * p[1] - kW) / s[1]) + 1;
  const o = nd([B, Cout, OH, OW]);
  for (let bb = 0; bb < B; bb++) for (let co = 0; co < Cout; co++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = b ? b.data[co] : 0;
    for (let ci = 0; ci < Cin; ci++) for (let kh = 0; kh < kH; kh++) for (let kw = 0; kw < kW; kw++) {
      const h = oh * s[0] + kh - p[0], ww = ow * s[1] + kw - p[1];
      if (h >= 0 && h < H && ww >= 0 && ww < W) acc += x.data[((bb * Cin + ci) * H + h) * W + ww] * w.data[((co * Cin + ci) * kH + kh) * kW + kw];
    }
    o.data[((bb * Cout + co) * OH + oh) * OW + ow] = acc;
  }
  return o;
}

const as4 = (t: NDArray) => nd([t.shape[0], t.shape[1], 1, t.shape[2]], t.data);
const as3 = (t: NDArray) => nd([t.shape[0], t.shape[1], t.shape[3]], t.data);
const tol = { atol: 1e-5, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4 };

export const convSpecs: OpSpec[] = [
  { name: 'conv1d(k9, pad4)', cases: [[[2, 1, 33], [3, 1, 9], [3]], [[1, 3, 7], [2, 3, 9], [2]]], gpu: ([x, w, b]) => conv1d(x, w, b, { padding: 4 }), ref: ([x, w, b]) => as3(conv2dRef(as4(x), as4(w), b, [1, 1], [0, 4])), tol },
  { name: 'conv1d(k9, stride2, pad4)', cases: [[[2, 3, 33], [4, 3, 9], [4]], [[1, 2, 257], [2, 2, 9], [2]]], gpu: ([x, w, b]) => conv1d(x, w, b, { stride: 2, padding: 4 }), ref: ([x, w, b]) => as3(conv2dRef(as4(x), as4(w), b, [1, 2], [0, 4])), tol },
  { name: 'conv2d(k3, stride2, pad1)', cases: [[[2, 3, 7, 9], [4, 3, 3, 3], [4]], [[1, 1, 33, 7], [2, 1, 3, 3], [2]]], gpu: ([x, w, b]) => conv2d(x, w, b, { stride: 2, padding: 1 }), ref: ([x, w, b]) => conv2dRef(x, w, b, [2, 2], [1, 1]), tol },
  { name: 'conv2d(k16, stride16, no bias)', cases: [[[2, 1, 32, 48], [5, 1, 16, 16]], [[1, 3, 16, 33], [2, 3, 16, 16]]], gpu: ([x, w]) => conv2d(x, w, null, { stride: 16 }), ref: ([x, w]) => conv2dRef(x, w, null, [16, 16], [0, 0]), tol },
];
