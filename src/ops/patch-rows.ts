/**
 * Patch rows: the stride-P patch convolution's im2col, optionally for picked tokens only, and its
 * adjoint. x [B, F, C, T] → rows [B·n, C·P·P] with row (b, k) = token picks[b, k] = p·T' + q and
 * element (c, i, j) = x[b, p·P + i, c, q·P + j] (a Conv2d weight's (c, kh, kw) order; a log-mel
 * [B, F, T] is C = 1). One gather instead of a permute copy of every patch and a select: the
 * student's alias branch keeps 30 % of the patch rows, and the backward writes each cell of dx once
 * (its row's value, or 0) instead of zero-fill + index-add + inverse permute.
 */
import { Tensor, tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import { templateKernel } from './kernels';
import patchRowsSrc from '../../shaders/patch_rows.wgsl?raw';
import { checkF32, empty, grid, runtime } from './util';
import type { OpSpec } from './spec';

/** Tokens picked per clip: `data` [B·n], clip after clip, token indices p·T' + q. */
export interface TokenPick { data: Int32Array; shape: [number, number] }

interface Geometry { B: number; F: number; C: number; T: number; P: number; Fp: number; Tp: number; n: number }

function geometry(x: Tensor, P: number, picks: TokenPick | undefined): Geometry {
  if (x.rank !== 3 && x.rank !== 4) throw new Error(`patchRows: x must be [B, F, T] or [B, F, C, T], got [${x.shape}]`);
  const [B, F] = x.shape, C = x.rank === 4 ? x.shape[2] : 1, T = x.shape[x.rank - 1];
  const Fp = Math.floor(F / P), Tp = Math.floor(T / P);
  if (!Number.isInteger(P) || P < 1 || Fp < 1 || Tp < 1) throw new Error(`patchRows: x [${x.shape}] holds no whole ${P}×${P} patch`);
  if (!picks) return { B, F, C, T, P, Fp, Tp, n: Fp * Tp };
  const [pb, n] = picks.shape;
  if (pb !== B || picks.data.length !== B * n) throw new Error(`patchRows: picks [${picks.shape}] (${picks.data.length} values) do not match a batch of ${B}`);
  for (const t of picks.data) if (!Number.isInteger(t) || t < 0 || t >= Fp * Tp) throw new Error(`patchRows: token ${t} outside the ${Fp}×${Tp} grid`);
  return { B, F, C, T, P, Fp, Tp, n };
}

const kernel = (entry: 'gather' | 'scatter', V: number) => templateKernel('patch_rows', patchRowsSrc, { V }, entry);

function run(entry: 'gather' | 'scatter', g: Geometry, src: Tensor, tok: Int32Array, outShape: number[]): Tensor {
  // vec4 units when a vec4 of t never straddles a patch or the crop edge.
  const V = g.P % 4 === 0 && g.T % 4 === 0 ? 4 : 1;
  const y = empty(outShape);
  const total = y.size / V;
  const t = tensor(tok, [tok.length], 'i32');
  runtime().dispatch(kernel(entry, V), {
    buffers: { src: src.buffer, tok: t.buffer, dst: y.buffer },
    uniforms: { B: g.B, F: g.F, C: g.C, T: g.T, P: g.P, Fp: g.Fp, Tp: g.Tp, n: g.n, total },
    workgroups: grid(total),
  });
  t.dispose();
  return y;
}

/**
 * x [B, F, T] or [B, F, C, T] → patch rows [B·n, C·P·P] of the picked tokens (all F'·T' in order
 * without `picks`). Gradient flows to x (zero on cells of unpicked tokens and past the last patch).
 */
export function patchRows(x: Tensor, P: number, picks?: TokenPick): Tensor {
  checkF32('patchRows', x);
  const g = geometry(x, P, picks);
  const N = g.Fp * g.Tp;
  const tok = picks ? picks.data : Int32Array.from({ length: g.B * N }, (_, i) => i % N);
  const y = run('gather', g, x, tok, [g.B * g.n, g.C * P * P]);
  return record('patchRows', y, [x], [], (gy) => {
    const slot = new Int32Array(g.B * N).fill(-1);
    for (let b = 0; b < g.B; b++) for (let k = 0; k < g.n; k++) slot[b * N + tok[b * g.n + k]] = k;
    return [run('scatter', g, gy, slot, x.shape.slice())];
  });
}

// ---- reference ----

function patchRowsRef(x: NDArray, P: number, picks: Int32Array, n: number): NDArray {
  const [B, F] = x.shape, C = x.shape.length === 4 ? x.shape[2] : 1, T = x.shape[x.shape.length - 1], Tp = Math.floor(T / P);
  const o = nd([B * n, C * P * P]);
  for (let b = 0; b < B; b++) for (let k = 0; k < n; k++) {
    const t = picks[b * n + k], p0 = Math.floor(t / Tp) * P, q0 = (t % Tp) * P;
    for (let c = 0; c < C; c++) for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) {
      o.data[(b * n + k) * C * P * P + (c * P + i) * P + j] = x.data[((b * F + p0 + i) * C + c) * T + q0 + j];
    }
  }
  return o;
}

/** A fixed pick of n distinct tokens per clip (a different subset and order for each clip). */
function testPicks(B: number, N: number, n: number): Int32Array {
  const out = new Int32Array(B * n);
  for (let b = 0; b < B; b++) {
    const order = Array.from({ length: N }, (_, i) => i).sort((u, v) => ((u * 7919 + b * 31) % 101) - ((v * 7919 + b * 31) % 101) || u - v);
    out.set(order.slice(0, n), b * n);
  }
  return out;
}

function spec(name: string, P: number, frac: number | null, cases: number[][][]): OpSpec {
  const picksOf = (shape: readonly number[]) => {
    const B = shape[0], T = shape[shape.length - 1], N = Math.floor(shape[1] / P) * Math.floor(T / P);
    const n = frac === null ? N : Math.max(1, Math.round(frac * N));
    return { n, data: frac === null ? Int32Array.from({ length: B * N }, (_, i) => i % N) : testPicks(B, N, n), B };
  };
  return {
    name, cases,
    gpu: ([x]) => {
      const k = picksOf(x.shape);
      return patchRows(x, P, frac === null ? undefined : { data: k.data, shape: [k.B, k.n] });
    },
    ref: ([x]) => { const k = picksOf(x.shape); return patchRowsRef(x, P, k.data, k.n); },
  };
}

export const patchRowsSpecs: OpSpec[] = [
  // vec4 units (P, T multiples of 4), cropped edges in F and T, C = 1 and C = 3.
  spec('patchRows(P=4, all tokens)', 4, null, [[[2, 9, 14]], [[1, 4, 4]], [[2, 5, 3, 12]]]),
  spec('patchRows(P=4, picked)', 4, 0.3, [[[3, 13, 20]], [[2, 8, 3, 12]]]),
  // scalar units: odd P or T.
  spec('patchRows(P=3, picked)', 3, 0.5, [[[2, 7, 11]], [[2, 6, 2, 10]]]),
  spec('patchRows(P=4, T=18, picked)', 4, 0.4, [[[2, 9, 18]]]),
];
