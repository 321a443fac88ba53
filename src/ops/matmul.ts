/**
 * Batched matmul with broadcast batch dims; either operand may be transposed without a copy (the
 * kernel reads through strides). Backward uses the same kernel with the transposes flipped.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/autograd';
import { broadcastShapes, broadcastStrides, matmulND } from '../tensor/ndarray';
import { matmulK } from './kernels';
import { checkF32, empty, pad8, runtime } from './util';
import type { OpSpec } from './spec';
import { sumTo } from './reduce';

export interface MatmulOptions { transA?: boolean; transB?: boolean }

function dims(a: readonly number[], b: readonly number[], tA: boolean, tB: boolean) {
  if (a.length < 2 || b.length < 2) throw new Error(`matmul: operands need rank >= 2, got [${a}] and [${b}]`);
  const M = tA ? a[a.length - 1] : a[a.length - 2];
  const K = tA ? a[a.length - 2] : a[a.length - 1];
  const Kb = tB ? b[b.length - 1] : b[b.length - 2];
  const N = tB ? b[b.length - 2] : b[b.length - 1];
  if (K !== Kb) throw new Error(`matmul: inner dimensions differ for shapes [${a}]${tA ? 'ᵀ' : ''} and [${b}]${tB ? 'ᵀ' : ''} (${K} vs ${Kb})`);
  return { M, K, N };
}

/** Record the raw kernel dispatch (no autograd). */
export function matmulRaw(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  checkF32('matmul', a, b);
  const { M, K, N } = dims(a.shape, b.shape, transA, transB);
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.reduce((x, y) => x * y, 1);
  const y = empty([...batch, M, N]);
  if (y.size === 0) return y;
  const aMat = a.shape[a.rank - 1] * a.shape[a.rank - 2], bMat = b.shape[b.rank - 1] * b.shape[b.rank - 2];
  const aBatch = broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * aMat);
  const bBatch = broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * bMat);
  if (nb > 65535) throw new Error(`matmul: batch ${nb} exceeds 65535`);
  const TX = 8, TY = 8;
  runtime().dispatch(matmulK('main'), {
    buffers: { A: a.buffer, B: b.buffer, C: y.buffer },
    uniforms: {
      M, N, K, batchRank: batch.length,
      sAm: transA ? 1 : K, sAk: transA ? M : 1, sBk: transB ? 1 : N, sBn: transB ? K : 1,
      batchShape: pad8(batch), aBatch: pad8(aBatch), bBatch: pad8(bBatch),
    },
    workgroups: [Math.ceil(N / (4 * TX)), Math.ceil(M / (4 * TY)), nb],
    overrides: { TX, TY },
  });
  return y;
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
    // dA = g·op(B)ᵀ (stored transposed when A is), dB likewise.
    const ga = tA ? matmulRaw(bs, g, tB, true) : matmulRaw(g, bs, false, !tB);
    const gb = tB ? matmulRaw(g, as, true, tA) : matmulRaw(as, g, !tA, false);
    return [reduced(ga, as.shape), reduced(gb, bs.shape)];
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
];

export const matmulSpecs: OpSpec[] = mmCases.map(([shapes, tA, tB]) => ({
  name: `matmul(transA=${tA}, transB=${tB}) [${shapes.map((s) => `[${s}]`).join(' x ')}]`,
  cases: [shapes],
  gpu: ([a, b]) => matmul(a, b, { transA: tA, transB: tB }),
  ref: ([a, b]) => matmulND(a, b, tA, tB),
  // f32 accumulation over K terms of magnitude ≤ 4: error grows like √K · 4 · 2⁻²⁴.
  tol: { atol: 2e-6 * Math.sqrt(Math.max(...shapes.flat())) * 4, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4 },
}));
