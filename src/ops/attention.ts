/**
 * Fused attention, one kernel each way (shaders/attention.wgsl), memory linear in tokens: the forward
 * saves the output and one log-sum-exp per query; the backward recomputes the probabilities (bwd_q
 * gives dq and D = rowsum(dO∘O), bwd_kv gives dk and dv). Three entry points share the kernels:
 * attention(q, k, v, scale) on [..., N, dh] tensors (self or cross: Nq ≠ Nk), and selfAttention /
 * crossAttention that read heads straight out of packed projections and write them merged.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import { tuningFor, withTuning } from '../gpu/tuning';
import { attentionSource, templateKernel } from './kernels';
import { checkF32, empty, runtime, sameShape } from './util';
import type { OpSpec } from './spec';

/** Keys per block in the subgroup forward: one running-max correction and one output update per block (lavapipe: 2 measured 0.82-0.9x the time of 1; 4 no better than 2). */
const ATTN_KEY_BLOCK = 2;

/** The kernels for this adapter, chosen once per call so forward and backward use the same family. */
function kernels(dh4: number) {
  const t = tuningFor(runtime());
  const sg = t.matmul === 'sg8' ? 1 : 0;
  const wg = sg ? Math.max(8, Math.ceil(t.attnRows / 8) * 8) : 64;
  return (entry: string) => ({ k: templateKernel('attention', attentionSource, { DH4: dh4, SG: sg, KB: ATTN_KEY_BLOCK }, entry), wg });
}

/** Row layout in floats: offset, batch stride, head stride, row stride (the kernel takes vec4 units). */
type Layout = [number, number, number, number];
const vec4s = (l: Layout) => l.map((x) => x / 4);

interface AttnArgs {
  name: string; inputs: Tensor[]; q: Tensor; k: Tensor; v: Tensor;
  G: number; H: number; nq: number; nk: number; dh: number; scale: number;
  qL: Layout; kL: Layout; vL: Layout; oShape: number[]; oL: Layout;
  /** Gradient buffers for the inputs from dq (q's layout) and dk/dv (one buffer, dkL/dvL). */
  grads: (dq: () => Tensor, dkv: (shape: number[], dkL: Layout, dvL: Layout) => Tensor) => Tensor[];
}

function attnImpl(a: AttnArgs): Tensor {
  const { G, H, nq, nk, dh } = a;
  if (dh % 4 !== 0 || dh > 256) throw new Error(`${a.name}: head size ${dh} must be a multiple of 4 and at most 256`);
  if (nq === 0 || nk === 0) throw new Error(`${a.name}: needs at least one query and one key`);
  const bh = G * H;
  if (bh > 65535) throw new Error(`${a.name}: ${bh} batch×heads exceed 65535`);
  const kernel = kernels(dh / 4);
  const base = { nq, nk, heads: H, scale: a.scale, qL: vec4s(a.qL), kL: vec4s(a.kL), vL: vec4s(a.vL), oL: vec4s(a.oL) };
  const o = empty(a.oShape);
  const lse = empty([bh, nq]);
  const f = kernel('fwd');
  runtime().dispatch(f.k, { buffers: { q: a.q.buffer, k: a.k.buffer, v: a.v.buffer, o: o.buffer, lse: lse.buffer }, uniforms: { ...base, dkL: [0, 0, 0, 0], dvL: [0, 0, 0, 0] }, workgroups: [Math.ceil(nq / f.wg), bh], overrides: { WG: f.wg } });
  const out = record(a.name, o, a.inputs, [a.q, a.k, a.v, o, lse], (g, [qs, ks, vs, os, ls]) => {
    const dsum = empty([bh, nq]);
    let dq: Tensor | null = null;
    const grads = a.grads(() => {
      dq = empty(qs.shape);
      return dq;
    }, (shape, dkL, dvL) => {
      const dkv = empty(shape);
      const bq = kernel('bwd_q');
      const uniforms = { ...base, dkL: vec4s(dkL), dvL: vec4s(dvL) };
      runtime().dispatch(bq.k, {
        buffers: { q: qs.buffer, k: ks.buffer, v: vs.buffer, oin: os.buffer, dout: g.buffer, lse: ls.buffer, dq: (dq ?? dkv).buffer, dsum: dsum.buffer },
        uniforms, workgroups: [Math.ceil(nq / bq.wg), bh], overrides: { WG: bq.wg },
      });
      const bkv = kernel('bwd_kv');
      runtime().dispatch(bkv.k, {
        buffers: { q: qs.buffer, k: ks.buffer, v: vs.buffer, dout: g.buffer, lse: ls.buffer, dsum: dsum.buffer, dkv: dkv.buffer },
        uniforms, workgroups: [Math.ceil(nk / bkv.wg), bh], overrides: { WG: bkv.wg },
      });
      return dkv;
    });
    dsum.dispose();
    return grads;
  });
  lse.dispose();
  return out;
}

function checkLead(name: string, ts: Tensor[]): void {
  checkF32(name, ...ts);
  for (const t of ts) if (t.rank < 2) throw new Error(`${name}: inputs need rank >= 2, got [${t.shape}]`);
}

/** softmax(q·kᵀ·scale)·v with q [..., Nq, dh], k and v [..., Nk, dh] (same leading dims). */
export function attention(q: Tensor, k: Tensor, v: Tensor, scale: number): Tensor {
  checkLead('attention', [q, k, v]);
  if (k.rank !== q.rank || v.rank !== q.rank) throw new Error(`attention: q, k, v need the same rank, got [${q.shape}], [${k.shape}], [${v.shape}]`);
  const lead = q.shape.slice(0, -2);
  const [nq, dh] = q.shape.slice(-2);
  const nk = k.shape[k.rank - 2];
  if (!sameShape(k.shape, [...lead, nk, dh]) || !sameShape(v.shape, k.shape)) {
    throw new Error(`attention: k and v must be [${[...lead, 'Nk', dh]}], got [${k.shape}] and [${v.shape}]`);
  }
  const G = lead.reduce((x, y) => x * y, 1);
  const qL: Layout = [0, nq * dh, 0, dh], kL: Layout = [0, nk * dh, 0, dh];
  return attnImpl({
    name: 'attention', inputs: [q, k, v], q, k, v, G, H: 1, nq, nk, dh, scale, qL, kL, vL: kL, oShape: [...q.shape], oL: qL,
    grads: (dq, dkv) => {
      const gq = dq();
      const both = dkv([2 * k.size], kL, [k.size, nk * dh, 0, dh]);
      const gk = empty(k.shape), gv = empty(v.shape);
      runtime().copy(both.buffer, 0, gk.buffer, 0, k.size * 4);
      runtime().copy(both.buffer, k.size * 4, gv.buffer, 0, k.size * 4);
      both.dispose();
      return [gq, gk, gv];
    },
  });
}

/**
 * Multi-head self-attention straight from a packed projection: qkv [G, N, 3·D] (all q, then all k,
 * then all v features; head h uses dims [h·dh, (h+1)·dh) of each) → [G, N, D] with heads merged.
 * The kernels read and write through strides, so no head split/merge copies are made either way.
 */
export function selfAttention(qkv: Tensor, heads: number, scale: number): Tensor {
  checkLead('selfAttention', [qkv]);
  if (qkv.rank !== 3 || qkv.shape[2] % (3 * heads) !== 0) throw new Error(`selfAttention: qkv must be [G, N, 3·heads·dh], got [${qkv.shape}] for ${heads} heads`);
  const [G, N, W] = qkv.shape;
  const D = W / 3, dh = D / heads;
  const L = (off: number): Layout => [off, N * W, dh, W];
  return attnImpl({
    name: 'selfAttention', inputs: [qkv], q: qkv, k: qkv, v: qkv, G, H: heads, nq: N, nk: N, dh, scale,
    qL: L(0), kL: L(D), vL: L(2 * D), oShape: [G, N, D], oL: [0, N * D, dh, D],
    // dq, dk and dv land in their own thirds of one [G, N, 3D] gradient.
    grads: (_dq, dkv) => {
      const d = dkv([G, N, W], L(D), L(2 * D));
      return [d];
    },
  });
}

/**
 * Multi-head cross-attention from projections: q [G, Nq, D] and kv [G, Nk, 2·D] (all k, then all v
 * features) → [G, Nq, D] with heads merged, no split/merge copies.
 */
export function crossAttention(q: Tensor, kv: Tensor, heads: number, scale: number): Tensor {
  checkLead('crossAttention', [q, kv]);
  if (q.rank !== 3 || kv.rank !== 3 || q.shape[0] !== kv.shape[0] || kv.shape[2] !== 2 * q.shape[2] || q.shape[2] % heads !== 0) {
    throw new Error(`crossAttention: q must be [G, Nq, D] and kv [G, Nk, 2D], got [${q.shape}] and [${kv.shape}] for ${heads} heads`);
  }
  const [G, nq, D] = q.shape;
  const nk = kv.shape[1], dh = D / heads;
  const qL: Layout = [0, nq * D, dh, D];
  const L = (off: number): Layout => [off, nk * 2 * D, dh, 2 * D];
  return attnImpl({
    name: 'crossAttention', inputs: [q, kv], q, k: kv, v: kv, G, H: heads, nq, nk, dh, scale,
    qL, kL: L(0), vL: L(D), oShape: [G, nq, D], oL: qL,
    grads: (dq, dkv) => { const gq = dq(); return [gq, dkv([G, nk, 2 * D], L(0), L(D))]; },
  });
}

/** float64 reference: softmax(q kᵀ·scale) v, materialising the score matrix. */
export function attentionRef(q: NDArray, k: NDArray, v: NDArray, scale: number): NDArray {
  const [nq, dh] = q.shape.slice(-2);
  const nk = k.shape[k.shape.length - 2];
  const bh = q.data.length / (nq * dh);
  const o = nd(q.shape);
  const s = new Float64Array(nk);
  for (let b = 0; b < bh; b++) for (let i = 0; i < nq; i++) {
    let m = -Infinity;
    for (let j = 0; j < nk; j++) {
      let t = 0;
      for (let d = 0; d < dh; d++) t += q.data[(b * nq + i) * dh + d] * k.data[(b * nk + j) * dh + d];
      s[j] = t * scale;
      m = Math.max(m, s[j]);
    }
    let z = 0;
    for (let j = 0; j < nk; j++) { s[j] = Math.exp(s[j] - m); z += s[j]; }
    for (let d = 0; d < dh; d++) {
      let acc = 0;
      for (let j = 0; j < nk; j++) acc += s[j] * v.data[(b * nk + j) * dh + d];
      o.data[(b * nq + i) * dh + d] = acc / z;
    }
  }
  return o;
}

// Odd token counts (1, 7, 33, 57, 190), head sizes 16/32/64, self and cross (133 queries × 57 keys).
const attnCases: [number[], number, number][] = [
  [[1, 1], 1, 16], [[2, 1], 7, 16], [[1, 2], 33, 32], [[1, 1], 57, 64], [[1, 1], 190, 16],
];
const crossCases: [number[], number, number, number][] = [[[1, 2], 133, 57, 32], [[2, 1], 7, 33, 64], [[1, 1], 1, 7, 16]];
const tol = { atol: 2e-5, rtol: 1e-4, gradAtol: 2e-4, gradRtol: 2e-3 };

export const attentionSpecs: OpSpec[] = [
  ...attnCases.map(([lead, n, dh]): OpSpec => ({
    name: `attention(self, N=${n}, dh=${dh})`,
    cases: [[[...lead, n, dh], [...lead, n, dh], [...lead, n, dh]]],
    gpu: ([q, k, v]) => attention(q, k, v, 1 / Math.sqrt(dh)),
    ref: ([q, k, v]) => attentionRef(q, k, v, 1 / Math.sqrt(dh)),
    tol,
  })),
  ...crossCases.map(([lead, nq, nk, dh]): OpSpec => ({
    name: `attention(cross, Nq=${nq}, Nk=${nk}, dh=${dh})`,
    cases: [[[...lead, nq, dh], [...lead, nk, dh], [...lead, nk, dh]]],
    gpu: ([q, k, v]) => attention(q, k, v, 0.3),
    ref: ([q, k, v]) => attentionRef(q, k, v, 0.3),
    tol,
  })),
  // The portable kernel (no subgroups, each thread loads its rows: the GPU path) on this adapter too.
  ...([[[1, 2], 33, 33, 32], [[1, 1], 57, 7, 16]] as [number[], number, number, number][]).map(([lead, nq, nk, dh]): OpSpec => ({
    name: `attention[portable kernel](Nq=${nq}, Nk=${nk}, dh=${dh})`,
    cases: [[[...lead, nq, dh], [...lead, nk, dh], [...lead, nk, dh]]],
    gpu: ([q, k, v]) => withTuning(runtime(), { matmul: 'tile' }, () => attention(q, k, v, 0.25)),
    ref: ([q, k, v]) => attentionRef(q, k, v, 0.25),
    tol,
  })),
  // Packed projections: heads read through strides (odd token counts, 1 to 3 heads).
  ...([[2, 7, 3, 16], [1, 33, 2, 32], [1, 1, 1, 64]] as number[][]).map(([G, N, H, dh]): OpSpec => ({
    name: `selfAttention(G=${G}, N=${N}, heads=${H}, dh=${dh})`,
    cases: [[[G, N, 3 * H * dh]]],
    gpu: ([qkv]) => selfAttention(qkv, H, 1 / Math.sqrt(dh)),
    ref: ([qkv]) => packedRef(qkv, null, H, 1 / Math.sqrt(dh)),
    tol,
  })),
  ...([[2, 13, 5, 2, 16], [1, 57, 19, 4, 32]] as number[][]).map(([G, nq, nk, H, dh]): OpSpec => ({
    name: `crossAttention(G=${G}, Nq=${nq}, Nk=${nk}, heads=${H}, dh=${dh})`,
    cases: [[[G, nq, H * dh], [G, nk, 2 * H * dh]]],
    gpu: ([q, kv]) => crossAttention(q, kv, H, 0.3),
    ref: ([q, kv]) => packedRef(q, kv, H, 0.3),
    tol,
  })),
  // The packed forms through the portable kernel too (the path GPUs and SwiftShader take).
  ...([[2, 7, 3, 16], [2, 20, 3, 64]] as number[][]).map(([G, N, H, dh]): OpSpec => ({
    name: `selfAttention[portable kernel](G=${G}, N=${N}, heads=${H}, dh=${dh})`,
    cases: [[[G, N, 3 * H * dh]]],
    gpu: ([qkv]) => withTuning(runtime(), { matmul: 'tile' }, () => selfAttention(qkv, H, 1 / Math.sqrt(dh))),
    ref: ([qkv]) => packedRef(qkv, null, H, 1 / Math.sqrt(dh)),
    tol,
  })),
  ...([[2, 13, 5, 2, 16], [1, 57, 19, 4, 32]] as number[][]).map(([G, nq, nk, H, dh]): OpSpec => ({
    name: `crossAttention[portable kernel](G=${G}, Nq=${nq}, Nk=${nk}, heads=${H}, dh=${dh})`,
    cases: [[[G, nq, H * dh], [G, nk, 2 * H * dh]]],
    gpu: ([q, kv]) => withTuning(runtime(), { matmul: 'tile' }, () => crossAttention(q, kv, H, 0.3)),
    ref: ([q, kv]) => packedRef(q, kv, H, 0.3),
    tol,
  })),
];

/** Reference for the packed forms: split heads on the CPU, attentionRef per head, merge. */
function packedRef(a: NDArray, kv: NDArray | null, H: number, scale: number): NDArray {
  const [G, nq, Wa] = a.shape;
  const D = kv ? Wa : Wa / 3, dh = D / H;
  const nk = kv ? kv.shape[1] : nq;
  const src = kv ?? a, Ws = kv ? 2 * D : Wa, kOff = kv ? 0 : D, vOff = kv ? D : 2 * D;
  const take = (t: NDArray, W: number, n: number, g: number, h: number, off: number) => {
    const o = nd([1, n, dh]);
    for (let i = 0; i < n; i++) for (let d = 0; d < dh; d++) o.data[i * dh + d] = t.data[(g * n + i) * W + off + h * dh + d];
    return o;
  };
  const out = nd([G, nq, D]);
  for (let g = 0; g < G; g++) for (let h = 0; h < H; h++) {
    const o = attentionRef(take(a, Wa, nq, g, h, 0), take(src, Ws, nk, g, h, kOff), take(src, Ws, nk, g, h, vOff), scale);
    for (let i = 0; i < nq; i++) for (let d = 0; d < dh; d++) out.data[(g * nq + i) * D + h * dh + d] = o.data[i * dh + d];
  }
  return out;
}
