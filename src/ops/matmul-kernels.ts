/**
 * Matmul dispatch planning: one entry (`mmDispatch`) that picks a kernel by shape, layout and adapter:
 * - sg8 (shaders/matmul_sg.wgsl): CPU adapters with 8-wide subgroups, when the contiguous dimensions
 *   read as vec4 are multiples of 4. Rows per subgroup shrink for small M (the matrix-vector path is
 *   R = 4: one A vec4 per 32 k, one B vec4 per k per lane).
 * - tile (shaders/matmul_tile.wgsl): per-thread R×4C register blocks with vec4 loads, for GPUs.
 * - general (shaders/matmul.wgsl): any layout and size (scalar loads, 4×4 blocks).
 * Split-K (partial products summed by the reduce kernel) when too few output tiles would run.
 * Bias and exact GELU are fused into the sg8/tile epilogues; the general path applies them after.
 */
import { Tensor } from '../tensor/tensor';
import { broadcastShapes, broadcastStrides } from '../tensor/ndarray';
import { tuningFor } from '../gpu/tuning';
import { matmulK, matmulSgSource, matmulTileSource, templateKernel, unaryCode, unaryK, binaryCode, binaryKernel } from './kernels';
import { empty, grid, pad8, runtime, sameShape } from './util';
import { sum } from './reduce';
import { reshape, stridedCopy } from './shape';
import { zeros } from './create';

export interface Epilogue {
  /** [N] added to every row. */
  bias?: Tensor | null;
  /** Exact (erf) GELU after the bias. */
  gelu?: boolean;
  /** Also return the pre-activation (needed by GELU's backward). */
  saveZ?: boolean;
  /** Added last, after GELU: a residual of the output's shape (y = act(A·B + bias) + residual). */
  residual?: Tensor | null;
  /**
   * A saved pre-activation z of the output's shape: the output is multiplied by gelu'(z) (the
   * gradient through a GELU, made by the matmul that makes the gradient of its output). Not with
   * gelu or bias.
   */
  dgelu?: Tensor | null;
  /**
   * Also return Σ_k A[k, m] for a 2-D A taken transposed (a Linear's bias gradient beside
   * dW = dYᵀ·X): from the kernel's own loads of A on sg8 adapters, else a separate sum.
   */
  rowSum?: boolean;
}

export interface MatmulDims { M: number; N: number; K: number; batch: number[]; nb: number; aBatch: number[]; bBatch: number[] }

export function mmDims(a: readonly number[], b: readonly number[], tA: boolean, tB: boolean): MatmulDims {
  if (a.length < 2 || b.length < 2) throw new Error(`matmul: operands need rank >= 2, got [${a}] and [${b}]`);
  const M = tA ? a[a.length - 1] : a[a.length - 2];
  const K = tA ? a[a.length - 2] : a[a.length - 1];
  const Kb = tB ? b[b.length - 1] : b[b.length - 2];
  const N = tB ? b[b.length - 2] : b[b.length - 1];
  if (K !== Kb) throw new Error(`matmul: inner dimensions differ for shapes [${a}]${tA ? 'ᵀ' : ''} and [${b}]${tB ? 'ᵀ' : ''} (${K} vs ${Kb})`);
  const batch = broadcastShapes('matmul', a.slice(0, -2), b.slice(0, -2));
  const nb = batch.reduce((x, y) => x * y, 1);
  if (nb > 65535) throw new Error(`matmul: batch ${nb} exceeds 65535`);
  const aBatch = broadcastStrides(a.slice(0, -2), batch).map((s) => s * M * K);
  const bBatch = broadcastStrides(b.slice(0, -2), batch).map((s) => s * K * N);
  return { M, N, K, batch, nb, aBatch, bBatch };
}

/** Which kernel a shape gets (exported for the benchmark's labels). */
export function mmPlan(d: MatmulDims, tA: boolean, tB: boolean): { kind: 'sg8' | 'tile' | 'general'; R: number; G: number; nSplit: number; kSplit: number } {
  const t = tuningFor(runtime());
  const vecOk = (tA ? d.M % 4 === 0 : d.K % 4 === 0) && (tB ? d.K % 4 === 0 : d.N % 4 === 0) && d.K > 0;
  if (!vecOk) return { kind: 'general', R: 4, G: 1, nSplit: 1, kSplit: d.K };
  const kind = t.matmul;
  // Rows per subgroup follow M (R = 4 is the matrix-vector path); R = 32 only pays for big M, and its
  // unrolled kernel takes the driver seconds to compile.
  // With A transposed one vec4 load per lane covers the subgroup's rows, so R is at most 32 there.
  const big = tA ? Math.min(t.sgRows, 32) : t.sgRows;
  const R = kind === 'sg8' ? Math.min(big, d.M <= 4 ? 4 : d.M <= 8 ? 8 : d.M < 128 ? 16 : big) : t.tileRows;
  // Column groups (sg8): a second group of 32 columns per lane set halves shuffles per FMA; it only
  // pays when there are more than 32 columns and enough rows to amortise the B loads.
  const G = kind === 'sg8' && d.N > 32 && R >= 16 ? t.sgColGroups : 1;
  const cols = kind === 'sg8' ? 32 * G : 4 * t.tileCol4;
  const items = Math.ceil(d.M / R) * Math.ceil(d.N / cols) * d.nb;
  let nSplit = 1;
  if (t.minParallel > 0 && items < t.minParallel && d.K >= 256) nSplit = Math.min(Math.ceil(t.minParallel / items), Math.floor(d.K / 128), 64);
  const kSplit = nSplit > 1 ? Math.ceil(d.K / nSplit / 32) * 32 : d.K;
  if (nSplit > 1) nSplit = Math.ceil(d.K / kSplit);
  return { kind, R, G, nSplit, kSplit };
}

function batchUniforms(d: MatmulDims): Record<string, number[] | number> {
  return { batchRank: d.batch.length, batchShape: pad8(d.batch), aBatch: pad8(d.aBatch), bBatch: pad8(d.bBatch) };
}

/**
 * Apply what the kernel did not fuse (general path, split-K, K = 0) with elementwise kernels: gelu'(z),
 * bias, GELU, residual. Consumes `y`; returns it unchanged when the epilogue is empty.
 */
function epilogueAfter(y: Tensor, epi: Epilogue): { y: Tensor; z: Tensor | null } {
  if (epi.dgelu) {
    const d = empty(y.shape);
    runtime().dispatch(unaryK('backward'), { buffers: { x: epi.dgelu.buffer, g: y.buffer, dx: d.buffer }, uniforms: { n: d.size }, workgroups: grid(d.size), overrides: { OP: unaryCode('gelu') } });
    y.dispose();
    return { y: addResidual(d, epi.residual), z: null };
  }
  let z = y;
  if (epi.bias) {
    const N = y.shape[y.rank - 1];
    const s = empty(y.shape);
    runtime().dispatch(binaryKernel('main', 2), {
      buffers: { a: y.buffer, b: epi.bias.buffer, y: s.buffer },
      uniforms: { n: y.size, rank: 2, shape: pad8([y.size / N, N]), sa: pad8([N, 1]), sb: pad8([0, 1]), sc: pad8([]), scalar: 0, swap: 0 },
      workgroups: grid(y.size), overrides: { OP: binaryCode('add') },
    });
    y.dispose();
    z = s;
  }
  if (!epi.gelu) return { y: addResidual(z, epi.residual), z: null };
  const g = empty(z.shape);
  runtime().dispatch(unaryK('main'), { buffers: { x: z.buffer, y: g.buffer }, uniforms: { n: z.size }, workgroups: grid(z.size), overrides: { OP: unaryCode('gelu') } });
  if (epi.saveZ) return { y: addResidual(g, epi.residual), z };
  z.dispose();
  return { y: addResidual(g, epi.residual), z: null };
}

/** y + residual with the elementwise kernel (general path and split-K). Consumes `y`. */
function addResidual(y: Tensor, residual: Tensor | null | undefined): Tensor {
  if (!residual) return y;
  const s = empty(y.shape);
  runtime().dispatch(binaryKernel('same'), {
    buffers: { a: y.buffer, b: residual.buffer, y: s.buffer },
    uniforms: { n: y.size, rank: 1, shape: pad8([y.size]), sa: pad8([1]), sb: pad8([1]), sc: pad8([]), scalar: 0, swap: 0 },
    workgroups: grid(y.size), overrides: { OP: binaryCode('add') },
  });
  y.dispose();
  return s;
}

/** C = op(A)·op(B) (+ epilogue) with no autograd. Returns z (pre-activation) when epi.saveZ and GELU. */
export function mmDispatch(a: Tensor, b: Tensor, tA: boolean, tB: boolean, epi: Epilogue = {}): { y: Tensor; z: Tensor | null; rowSum: Tensor | null } {
  if (epi.rowSum && !(tA && a.rank === 2)) throw new Error(`mmDispatch: row sums need a 2-D A taken transposed, got A [${a.shape}]${tA ? '' : ' untransposed'}`);
  const r = mmRaw(a, b, tA, tB, epi);
  // Where the kernel did not sum the rows itself, a separate sum.
  return { ...r, rowSum: epi.rowSum ? r.rowSum ?? sum(a, 0) : null };
}

function mmRaw(a: Tensor, b: Tensor, tA: boolean, tB: boolean, epi: Epilogue): { y: Tensor; z: Tensor | null; rowSum: Tensor | null } {
  const d = mmDims(a.shape, b.shape, tA, tB);
  const { M, N, K } = d;
  const outShape = [...d.batch, M, N];
  if (epi.residual && !sameShape(epi.residual.shape, outShape)) {
    throw new Error(`matmul: residual [${epi.residual.shape}] does not match the output [${outShape}]`);
  }
  if (epi.dgelu && (epi.gelu || epi.bias || !sameShape(epi.dgelu.shape, outShape))) {
    throw new Error(`matmul: dgelu [${epi.dgelu.shape}] must match the output [${outShape}], without gelu or bias`);
  }
  const plan = mmPlan(d, tA, tB);
  if (M * N * d.nb === 0) return { y: empty(outShape), z: null, rowSum: null };
  if (K === 0) { const y = zeros(outShape); return { ...epilogueAfter(y, epi), rowSum: null }; }
  if (plan.kind === 'general') {
    const y = empty(outShape);
    const TX = 8, TY = 8;
    runtime().dispatch(matmulK('main'), {
      buffers: { A: a.buffer, B: b.buffer, C: y.buffer },
      uniforms: { M, N, K, sAm: tA ? 1 : K, sAk: tA ? M : 1, sBk: tB ? 1 : N, sBn: tB ? K : 1, ...batchUniforms(d) },
      workgroups: [Math.ceil(N / (4 * TX)), Math.ceil(M / (4 * TY)), d.nb],
      overrides: { TX, TY },
    });
    return { ...epilogueAfter(y, epi), rowSum: null };
  }
  const t = tuningFor(runtime());
  // On sg8 adapters the kernel reads B[N, K] (k contiguous per column) ~1.5x faster than B[K, N]
  // (measured on lavapipe, 1024³: 174 vs 280 ms), so a B in [K, N] layout is copied to [N, K] first
  // when the matmul is big enough to repay the copy (~3 ms per 1M floats with the 4×4-block transpose), i.e. for many rows.
  if (plan.kind === 'sg8' && !tA && !tB && t.sgTransposeB && M >= 64 && K % 4 === 0 && N % 4 === 0) {
    // stridedCopy serves a last-two-axes swap with its 4×4-block transpose kernel.
    const bt = empty([...b.shape.slice(0, -2), N, K]);
    stridedCopy(b, bt, [b.size / (K * N), N, K], 0, [K * N, 1, N], 0, [N * K, K, 1]);
    const r = mmRaw(a, bt, tA, true, epi);
    bt.dispose();
    return r;
  }
  const split = plan.nSplit > 1;
  const fuse = !split;
  const bias = fuse && epi.bias ? epi.bias : null;
  const gelu = fuse && !!epi.gelu;
  const saveZ = gelu && !!epi.saveZ;
  const res = fuse && epi.residual ? epi.residual : null;
  const dgelu = fuse && epi.dgelu ? epi.dgelu : null;
  // Row sums of op(A) in the sg8 kernel, which sees every k of its rows in one dispatch.
  const rowSum = epi.rowSum && plan.kind === 'sg8' && tA && !split && d.nb === 1 ? empty([M]) : null;
  const nv = N % 4 === 0 ? 1 : 0;
  const y = empty(split ? [d.nb, plan.nSplit, M, N] : outShape);
  const z = saveZ ? empty(outShape) : null;
  const buffers: Record<string, GPUBuffer> = { A: a.buffer, B: b.buffer, C: y.buffer };
  if (bias) buffers.bias = bias.buffer;
  if (z) buffers.Z = z.buffer;
  if (rowSum) buffers.rowsum = rowSum.buffer;
  if (res) buffers.res = res.buffer;
  if (dgelu) buffers.Z = dgelu.buffer;
  const uniforms = { M, N, K, kSplit: plan.kSplit, nSplit: plan.nSplit, _p0: 0, _p1: 0, ...batchUniforms(d) };
  const kBlock = plan.kind === 'sg8' && !tA ? 32 : 4;
  const kchk = K % kBlock !== 0 || plan.kSplit % kBlock !== 0 ? 1 : 0;
  const flags = { TA: +tA, TB: +tB, NV: nv, BIAS: bias ? 1 : 0, GELU: +gelu, SAVEZ: +saveZ, KCHK: kchk, RSUM: rowSum ? 1 : 0, RES: res ? 1 : 0, DGELU: dgelu ? 1 : 0 };
  const note = `${d.nb}×${M}×${N}×${K}`; // for per-call-site profiles
  if (plan.kind === 'sg8') {
    const WS = M > plan.R ? t.sgPerGroup : 1;
    runtime().dispatch(templateKernel('matmul_sg', matmulSgSource, { R: plan.R, G: plan.G, ...flags }), {
      buffers, uniforms, overrides: { WG: 8 * WS }, note,
      workgroups: [Math.ceil(N / (32 * plan.G)), Math.ceil(M / (plan.R * WS)), d.nb * plan.nSplit],
    });
  } else {
    const R = t.tileRows, C4 = t.tileCol4;
    runtime().dispatch(templateKernel('matmul_tile', matmulTileSource, { R, C4, ...flags }), {
      buffers, uniforms, overrides: { WX: t.tileWX, WY: t.tileWY }, note,
      workgroups: [Math.ceil(N / (4 * C4 * t.tileWX)), Math.ceil(M / (R * t.tileWY)), d.nb * plan.nSplit],
    });
  }
  if (!split) return { y, z, rowSum };
  // Sum the K-splits (axis 1 of [batch, splits, M, N]) and apply what the kernel did not fuse.
  const s = sum(y, 1);
  y.dispose();
  const r = reshape(s, outShape);
  s.dispose();
  return { ...epilogueAfter(r, epi), rowSum: null };
}
