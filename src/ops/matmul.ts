/**
 * Batched matmul with broadcast batch dims; either operand may be transposed without a copy (the
 * kernel reads through strides). Backward uses the same kernel with the transposes flipped.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { matmulND } from '../tensor/ndarray';
import { mmDispatch } from './matmul-kernels';
import { checkF32 } from './util';
import type { OpSpec } from './spec';
import { sumTo } from './reduce-kernel';
import { withTuning } from '../gpu/tuning';
import { runtime } from './util';

export interface MatmulOptions { transA?: boolean; transB?: boolean }

/** Record the raw kernel dispatch (no autograd); the kernel is chosen by shape (matmul-kernels.ts). */
export function matmulRaw(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  checkF32('matmul', a, b);
  return mmDispatch(a, b, transA, transB).y;
}

function reduced(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const r = sumTo(g, shape);
  g.dispose();
  return r;
}

/** C = op(A)·op(B) over broadcast batch dims. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const tA = !!opts.transA, tB = !!opts.transB;
  const y = matmulRaw(a, b, tA, tB);
  return record('matmul', y, [a, b], [a, b], (g, [as, bs]) => {
    // dA = g·op(B)ᵀ (stored transposed when A is), dB likewise; only for the operands that need one
    // (a data operand, e.g. patch rows, would cost a whole matmul for nothing).
    const ga = a.requiresGrad ? (tA ? matmulRaw(bs, g, tB, true) : matmulRaw(g, bs, false, !tB)) : null;
    const gb = b.requiresGrad ? (tB ? matmulRaw(g, as, true, tA) : matmulRaw(as, g, !tA, false)) : null;
    return [ga && reduced(ga, as.shape), gb && reduced(gb, bs.shape)];
  });
}

const mmCases: [number[][], boolean, boolean][] = [
  [[[1, 1], [1, 1]], false, false],
  [[[7, 33], [33, 5]], false, false],
  [[[33, 7], [33, 5]], true, false],
  [[[7, 33], [5, 33]], false, true],
  [[[33, 7], [5, 33]], true, true],
  [[[2, 3, 7, 9], [9, 33]], false, false],
  [[[3, 1, 7, 9], [2, 33, 9]], false, true],
  [[[65, 257], [257, 33]], false, false],
  // vec4-compatible shapes: the sg8 / tile kernels, every layout, partial tiles, batch broadcast.
  [[[9, 64], [64, 12]], false, false],
  [[[64, 36], [64, 12]], true, false],
  [[[9, 64], [44, 64]], false, true],
  [[[64, 8], [12, 64]], true, true],
  [[[2, 36, 40], [40, 20]], false, false],
  [[[7, 8], [7, 12]], true, false],
  // M ≥ 64 without transposes: sg8 adapters copy B to [N, K] first (plain, batched, broadcast B).
  [[[65, 36], [36, 20]], false, false],
  [[[2, 64, 12], [2, 12, 8]], false, false],
  [[[3, 1, 64, 8], [2, 8, 12]], false, false],
  // more than 32 columns and 16+ rows: sg8 adapters run two groups of 32 columns per subgroup
  // (partial second group; every layout; K not a multiple of 32; the B-copy path with a batch).
  [[[20, 36], [36, 72]], false, false],
  [[[36, 20], [36, 72]], true, false],
  [[[20, 36], [72, 36]], false, true],
  [[[36, 20], [72, 36]], true, true],
  [[[2, 68, 12], [12, 40]], false, false],
  // few output tiles and a long K: split-K
  [[[4, 640], [640, 8]], false, false],
]

export const matmulSpecs: OpSpec[] = mmCases.map(([shapes, tA, tB]) => ({
  name: `matmul(transA=${tA}, transB=${tB}) [${shapes.map((s) => `[${s}]`).join(' x ')}]`,
  cases: [shapes],
  gpu: ([a, b]) => matmul(a, b, { transA: tA, transB: tB }),
  ref: ([a, b]) => matmulND(a, b, tA, tB),
  // f32 accumulation over K terms of magnitude ≤ 4: error grows like √K · 4 · 2⁻²⁴.
  tol: { atol: 2e-6 * Math.sqrt(Math.max(...shapes.flat())) * 4, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4 },
}));

// The per-thread tile kernel (the GPU path) checked here too, whatever this adapter's tuning picks.
const tileCases: [number[][], boolean, boolean][] = [
  [[[9, 64], [64, 12]], false, false], [[[64, 36], [64, 12]], true, false], [[[9, 64], [44, 64]], false, true],
  [[[64, 8], [12, 64]], true, true], [[[7, 8], [7, 12]], true, false], [[[4, 640], [640, 8]], false, false],
];
matmulSpecs.push(...tileCases.map(([shapes, tA, tB]): OpSpec => ({
  name: `matmul[tile kernel](transA=${tA}, transB=${tB}) [${shapes.map((s) => `[${s}]`).join(' x ')}]`,
  cases: [shapes],
  gpu: ([a, b]) => withTuning(runtime(), { matmul: 'tile', tileRows: 8, tileCol4: 2, tileWX: 4, tileWY: 4 }, () => matmul(a, b, { transA: tA, transB: tB })),
  ref: ([a, b]) => matmulND(a, b, tA, tB),
  tol: { atol: 2e-6 * Math.sqrt(Math.max(...shapes.flat())) * 4, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4 },
})));
