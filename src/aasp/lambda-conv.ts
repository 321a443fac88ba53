/**
 * The Lambda Encoder's convolutions (Conv1d with few channels, e.g. 1 → 16 and 16 → 16, kernel 9)
 * as a dedicated op (shaders/lambda-conv.wgsl): each thread computes a whole channel vector, so the
 * B·F one-channel band signals go through at a small share of AaPE's time. Same contract and
 * parameter layout as conv1d: x [R, Cin, L], weight [Cout, Cin, k], bias [Cout].
 */
import lambdaConvSrc from '../../shaders/lambda-conv.wgsl?raw';
import { grid1d, runtime } from '../gpu/runtime';
import { tuningFor } from '../gpu/tuning';
import { templateKernel } from '../ops/kernels';
import { empty, type Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import { sum } from '../ops/reduce';
import { conv2dRef } from '../ops/conv';
import type { OpSpec } from '../ops/spec';

const MAX_CHANNELS = 32;

/** Kernel variant: subgroup broadcasts where 8-wide subgroups are guaranteed (the sg8 adapters). */
export type LambdaConvVariant = 'auto' | 'sg' | 'plain';

const grid = (n: number): [number, number] => grid1d(Math.ceil(n / 64));

interface ConvGeometry { R: number; Cin: number; Cout: number; K: number; L: number; LO: number; stride: number; pad: number }

/** Check shapes and pick the kernel parameters (the subgroup variant on sg8 adapters). */
function geometry(x: Tensor, weight: Tensor, bias: Tensor, opts: { stride?: number; padding?: number }): ConvGeometry {
  if (x.rank !== 3 || weight.rank !== 3 || bias.rank !== 1) throw new Error(`lambdaConv1d: x [${x.shape}], weight [${weight.shape}], bias [${bias.shape}] must be rank 3, 3, 1`);
  const [R, Cin, L] = x.shape, [Cout, Cin2, K] = weight.shape;
  const stride = opts.stride ?? 1, pad = opts.padding ?? 0;
  if (Cin !== Cin2 || bias.shape[0] !== Cout) throw new Error(`lambdaConv1d: x [${x.shape}], weight [${weight.shape}] and bias [${bias.shape}] do not match`);
  if (Cin > MAX_CHANNELS || Cout > MAX_CHANNELS || Cin * K > 256) throw new Error(`lambdaConv1d: at most ${MAX_CHANNELS} channels and Cin·k ≤ 256 (got Cin ${Cin}, Cout ${Cout}, k ${K})`);
  const LO = Math.floor((L + 2 * pad - K) / stride) + 1;
  if (LO < 1) throw new Error(`lambdaConv1d: kernel ${K} longer than the padded input ${L + 2 * pad}`);
  return { R, Cin, Cout, K, L, LO, stride, pad };
}

/** 1 when the subgroup-broadcast kernels run (forced variant, else the adapter's tuning). */
export function lambdaSubgroups(variant: LambdaConvVariant = 'auto'): 0 | 1 {
  const v = variant === 'auto' ? forcedVariant ?? 'auto' : variant;
  const sg = v === 'sg' || (v === 'auto' && tuningFor(runtime()).matmul === 'sg8') ? 1 : 0;
  if (sg && !runtime().features.subgroups) throw new Error('lambdaConv1d: the subgroup variant needs the subgroups feature');
  return sg;
}

function convKernel(d: ConvGeometry, sg: 0 | 1, entry: string) {
  // Outputs per forward thread: 8 where loads dominate (lavapipe: at the Lambda Encoder's shapes
  // T = 4 took 0.53–0.61x the time of T = 1 and T = 8 0.66–0.89x that of T = 4), 1 elsewhere.
  const params = { CIN: d.Cin, COUT: d.Cout, KW: d.K, STRIDE: d.stride, PAD: d.pad, SG: sg, T: sg ? 8 : 1 };
  return templateKernel('lambda-conv', lambdaConvSrc, params, entry);
}

/** dL/dx [R, Cin, L] of the convolution from its output gradient g [R, Cout, LO]. */
function inputGrad(d: ConvGeometry, sg: 0 | 1, w: Tensor, g: Tensor): Tensor {
  const dx = empty([d.R, d.Cin, d.L]);
  runtime().dispatch(convKernel(d, sg, 'input_grad'), { buffers: { w: w.buffer, g: g.buffer, dx: dx.buffer }, uniforms: { R: d.R, L: d.L, LO: d.LO, rowsPerGroup: 1 }, workgroups: grid(d.R * Math.ceil(d.L / d.stride)) });
  return dx;
}

/**
 * dL/dweight [Cout, Cin, k] and dL/dbias [Cout] from the input x [R, Cin, L] and the output gradient
 * g [R, Cout, LO]: the bias gradient (Σ g) comes from the kernel's own loads of g instead of a
 * reduction that reads g once more.
 */
function weightGrad(d: ConvGeometry, sg: 0 | 1, x: Tensor, g: Tensor): { weight: Tensor; bias: Tensor } {
  // Row blocks: enough workgroups to fill a device, few enough that the partials stay small.
  const rowsPerGroup = Math.ceil(d.R / Math.min(d.R, 512));
  const groups = Math.ceil(d.R / rowsPerGroup);
  const part = empty([groups, d.Cout, d.Cin, d.K]), bpart = empty([groups, d.Cout]);
  // All taps per thread where there are enough input channels to fill the lanes (conv2), or all
  // weights of an output channel per thread with vec4 loads where there are few (conv1) (tuning).
  const taps = forcedWgrad ?? tuningFor(runtime()).lambdaWgradTaps;
  const perCo = taps && sg === 1 && d.Cin * d.K <= 16 && d.stride === 1 && d.pad % 4 === 0 && d.L % 4 === 0 && d.LO % 4 === 0;
  const entry = perCo ? 'weight_grad_co' : d.Cin >= 8 && taps ? 'weight_grad_taps' : 'weight_grad';
  const buffers: Record<string, GPUBuffer> = perCo ? { x4: x.buffer, g4: g.buffer } : { x: x.buffer, g: g.buffer };
  runtime().dispatch(convKernel(d, sg, entry), { buffers: { ...buffers, part: part.buffer, bpart: bpart.buffer }, uniforms: { R: d.R, L: d.L, LO: d.LO, rowsPerGroup }, workgroups: [groups] });
  const grads = { weight: sum(part, 0), bias: sum(bpart, 0) };
  part.dispose();
  bpart.dispose();
  return grads;
}

/**
 * The two gradient kernels for other ops built on these convolutions (src/aasp/lambda-fused.ts):
 * shapes as lambdaConv1d's x, weight and bias; `dx` and `dweight` take the output gradient
 * (`dweight` gives the weight's and the bias's gradients).
 */
export function lambdaConvGrads(xShape: readonly number[], weightShape: readonly number[], opts: { stride?: number; padding?: number }, sg: 0 | 1) {
  const [R, Cin, L] = xShape, [Cout, , K] = weightShape;
  const stride = opts.stride ?? 1, pad = opts.padding ?? 0;
  const d: ConvGeometry = { R, Cin, Cout, K, L, LO: Math.floor((L + 2 * pad - K) / stride) + 1, stride, pad };
  return {
    dx: (w: Tensor, g: Tensor) => inputGrad(d, sg, w, g),
    dweight: (x: Tensor, g: Tensor) => weightGrad(d, sg, x, g),
  };
}

export function lambdaConv1d(x: Tensor, weight: Tensor, bias: Tensor, opts: { stride?: number; padding?: number; variant?: LambdaConvVariant } = {}): Tensor {
  const d = geometry(x, weight, bias, opts);
  const sg = lambdaSubgroups(opts.variant);
  const y = empty([d.R, d.Cout, d.LO]);
  runtime().dispatch(convKernel(d, sg, 'forward'), { buffers: { x: x.buffer, w: weight.buffer, bias: bias.buffer, y: y.buffer }, uniforms: { R: d.R, L: d.L, LO: d.LO, rowsPerGroup: 1 }, workgroups: grid(d.R * Math.ceil(d.LO / (sg ? 8 : 1))) });
  return record('lambdaConv1d', y, [x, weight, bias], [x, weight], (g, [xs, ws]) => {
    const dwb = weightGrad(d, sg, xs, g);
    // No input gradient for data (the band signals): conv1's would be thrown away.
    return [x.requiresGrad ? inputGrad(d, sg, ws, g) : null, dwb.weight, dwb.bias];
  });
}

let forcedVariant: LambdaConvVariant | null = null;
let forcedWgrad: boolean | null = null;
function withWgradTaps<T>(on: boolean, f: () => T): T {
  const prev = forcedWgrad;
  forcedWgrad = on;
  try { return f(); } finally { forcedWgrad = prev; }
}
/** Run `f` with every Lambda Encoder kernel forced to one variant (op cases of the plain kernels on sg8 adapters). */
export function withVariant<T>(v: LambdaConvVariant, f: () => T): T {
  const prev = forcedVariant;
  forcedVariant = v;
  try { return f(); } finally { forcedVariant = prev; }
}

const as4 = (t: NDArray) => nd([t.shape[0], t.shape[1], 1, t.shape[2]], t.data);
const as3 = (t: NDArray) => nd([t.shape[0], t.shape[1], t.shape[3]], t.data);
const tol = { atol: 1e-5, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4 };

const base: OpSpec[] = [
  { name: 'lambdaConv1d(k9, pad4)', cases: [[[3, 1, 33], [16, 1, 9], [16]], [[2, 1, 5], [4, 1, 9], [4]]], gpu: ([x, w, b]) => lambdaConv1d(x, w, b, { padding: 4 }), ref: ([x, w, b]) => as3(conv2dRef(as4(x), as4(w), b, [1, 1], [0, 4])), tol },
  { name: 'lambdaConv1d(k9, stride2, pad4)', cases: [[[2, 16, 37], [16, 16, 9], [16]], [[3, 3, 8], [5, 3, 9], [5]], [[1, 2, 1], [3, 2, 9], [3]]], gpu: ([x, w, b]) => lambdaConv1d(x, w, b, { stride: 2, padding: 4 }), ref: ([x, w, b]) => as3(conv2dRef(as4(x), as4(w), b, [1, 2], [0, 4])), tol },
  { name: 'lambdaConv1d(k3, stride3, no pad)', cases: [[[2, 4, 20], [6, 4, 3], [6]]], gpu: ([x, w, b]) => lambdaConv1d(x, w, b, { stride: 3 }), ref: ([x, w, b]) => as3(conv2dRef(as4(x), as4(w), b, [1, 3], [0, 0])), tol },
];

/**
 * Every case with the adapter's own variant, again with the plain (no subgroup) kernels, and the
 * weight gradient both ways (one thread per (ci, k), or per ci with all taps) where Cin ≥ 8.
 */
export const lambdaConvSpecs: OpSpec[] = [
  ...base,
  ...base.map((sp) => ({ ...sp, name: `${sp.name} [plain]`, gpu: (xs: Tensor[]) => withVariant('plain', () => sp.gpu(xs)) })),
  ...[true, false].flatMap((taps) => ['auto', 'plain'].map((v) => ({
    ...base[1], name: `${base[1].name} [weight grad ${taps ? 'all taps' : 'per tap'}, ${v}]`, cases: [[[2, 16, 37], [16, 16, 9], [16]], [[3, 9, 20], [5, 9, 9], [5]]],
    gpu: (xs: Tensor[]) => withWgradTaps(taps, () => withVariant(v as LambdaConvVariant, () => base[1].gpu(xs))),
  }))),
  // conv1-like (stride 1, pad 4, rows a multiple of 4): on 8-wide subgroups the weight gradient takes
  // one thread per output channel (a partial last vec4 of output gradients, 5 of 8 lanes, 2 channels).
  {
    ...base[0], name: `${base[0].name} [weight grad per output channel]`, cases: [[[3, 1, 40], [16, 1, 9], [16]], [[2, 1, 12], [5, 1, 9], [5]]],
    gpu: (xs: Tensor[]) => withWgradTaps(true, () => base[0].gpu(xs)),
  },
  {
    name: 'lambdaConv1d(k5, pad4) [weight grad per output channel]', cases: [[[2, 2, 16], [3, 2, 5], [3]]], tol,
    gpu: ([x, w, b]) => withWgradTaps(true, () => lambdaConv1d(x, w, b, { padding: 4 })), ref: ([x, w, b]) => as3(conv2dRef(as4(x), as4(w), b, [1, 1], [0, 4])),
  },
];
