/**
 * Shape ops. `reshape` is a view (shared storage); permute, slice, concat, stack and expand copy
 * through one strided-copy kernel (shaders/copy.wgsl), so each is a single dispatch.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, permuteND, stridesOf, unravel, broadcastShapes, broadcastStrides, type NDArray } from '../tensor/ndarray';
import { copyK, copyStridedSource, templateKernel } from './kernels';
import { coalesce, empty, grid, normAxis, numel, pad8, runtime, sameShape } from './util';
import type { OpSpec } from './spec';
import { zeros } from './create';
import { sumTo } from './reduce-kernel';
import { reshape } from './view';

export { reshape };

/**
 * The copy's axes with size-1 axes dropped and neighbours merged where both sides are contiguous
 * across them (a permute of [B, Fp, 16, Tp, 16] keeps 4 axes; a slice of rows keeps 2).
 */
export function coalesceAxes(shape: readonly number[], a: readonly number[], b: readonly number[]): { shape: number[]; a: number[]; b: number[] } {
  const c = coalesce(shape, [a, b], 1);
  return { shape: c.shape, a: c.strides[0], b: c.strides[1] };
}

/** Copy `shape`-many elements from src (base + strides) to dst (base + strides). */
export function stridedCopy(src: Tensor, dst: Tensor, shape: readonly number[], srcBase: number, srcStrides: readonly number[], dstBase: number, dstStrides: readonly number[]): void {
  if (numel(shape) === 0) return;
  const c = coalesceAxes(shape, srcStrides, dstStrides);
  const r = c.shape.length;
  // A swap of the last two axes of contiguous [L, k, n] matrices (k, n multiples of 4): 4×4 blocks.
  const [tn, tk] = c.shape.slice(-2);
  if (srcBase === 0 && dstBase === 0 && (r === 2 || r === 3) && tn % 4 === 0 && tk % 4 === 0
    && c.a[r - 2] === 1 && c.a[r - 1] === tn && c.b[r - 2] === tk && c.b[r - 1] === 1
    && (r === 2 || (c.a[0] === tk * tn && c.b[0] === tk * tn))) {
    const blocks = (tk / 4) * (tn / 4), total = (r === 3 ? c.shape[0] : 1) * blocks;
    runtime().dispatch(copyK('transpose4'), { buffers: { src4: src.buffer, dst4: dst.buffer }, uniforms: { K: tk, N: tn, blocks, total }, workgroups: grid(total) });
    return;
  }
  // Whole vec4s when the innermost axis is contiguous on both sides and everything else is 4-aligned.
  const v4 = c.a[r - 1] === 1 && c.b[r - 1] === 1 && c.shape[r - 1] % 4 === 0 && srcBase % 4 === 0 && dstBase % 4 === 0
    && c.a.slice(0, -1).every((x) => x % 4 === 0) && c.b.slice(0, -1).every((x) => x % 4 === 0);
  const q = v4 ? 4 : 1;
  const sh = c.shape.map((x, d) => (d === r - 1 ? x / q : x));
  const n = numel(sh);
  const div = (xs: number[]) => xs.map((x, d) => (d === r - 1 ? x : x / q));
  runtime().dispatch(templateKernel('copy_strided', copyStridedSource, { RANK: r, V4: v4 ? 1 : 0 }), {
    buffers: { src: src.buffer, dst: dst.buffer },
    uniforms: {
      n, srcBase: srcBase / q, dstBase: dstBase / q, _p0: 0,
      shape: pad8(sh), srcStrides: pad8(div(c.a)), dstStrides: pad8(div(c.b)),
    },
    workgroups: grid(n),
  });
}

/** Broadcast to `shape` (materialised copy); gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes('expand', x.shape, shape);
  if (!sameShape(out, shape)) throw new Error(`expand: shape [${x.shape}] cannot be expanded to [${shape}]`);
  if (sameShape(x.shape, shape)) return reshape(x, shape);
  const y = empty(shape, x.dtype);
  stridedCopy(x, y, shape, 0, broadcastStrides(x.shape, shape), 0, stridesOf(shape));
  return record('expand', y, [x], [], (g) => [sumTo(g, x.shape)]);
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`permute: [${perm}] is not a permutation of the axes of shape [${x.shape}]`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const st = stridesOf(x.shape);
  const y = empty(shape, x.dtype);
  stridedCopy(x, y, shape, 0, perm.map((p) => st[p]), 0, stridesOf(shape));
  const inv = perm.map((_, i) => perm.indexOf(i));
  return record('permute', y, [x], [], (g) => [permute(g, inv)]);
}

export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const p = [...Array(x.rank).keys()];
  const i = normAxis('transpose', a, x.rank), j = normAxis('transpose', b, x.rank);
  [p[i], p[j]] = [p[j], p[i]];
  return permute(x, p);
}

/** Slice `[start, end)` along `axis` (negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const ax = normAxis('slice', axis, x.rank);
  const len = x.shape[ax];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  if (s < 0 || e > len || s > e) throw new Error(`slice: range [${start}, ${end}) out of bounds for axis ${axis} of shape [${x.shape}]`);
  const shape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const st = stridesOf(x.shape);
  const y = empty(shape, x.dtype);
  stridedCopy(x, y, shape, s * st[ax], st, 0, stridesOf(shape));
  return record('slice', y, [x], [], (g) => {
    const z = zeros(x.shape);
    stridedCopy(g, z, g.shape, 0, stridesOf(g.shape), s * st[ax], st);
    return [z];
  });
}

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const ax = normAxis('concat', axis, xs[0].rank);
  for (const t of xs) {
    if (t.rank !== xs[0].rank || t.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new Error(`concat: shapes [${xs[0].shape}] and [${t.shape}] differ outside axis ${axis}`);
    }
  }
  const shape = xs[0].shape.map((d, i) => (i === ax ? xs.reduce((a, t) => a + t.shape[ax], 0) : d));
  const st = stridesOf(shape);
  const y = empty(shape, xs[0].dtype);
  const offsets: number[] = [];
  let off = 0;
  for (const t of xs) {
    offsets.push(off);
    stridedCopy(t, y, t.shape, 0, stridesOf(t.shape), off * st[ax], st);
    off += t.shape[ax];
  }
  return record('concat', y, xs, [], (g) => xs.map((t, k) => slice(g, ax, offsets[k], offsets[k] + t.shape[ax])));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = axis < 0 ? axis + x.rank + 1 : axis;
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return reshape(x, shape);
}

export function stack(xs: Tensor[], axis = 0): Tensor {
  const views = xs.map((t) => unsqueeze(t, axis));
  const y = concat(views, axis);
  for (const v of views) v.dispose();
  return y;
}

// ---- references ----

const expandTarget = (s: readonly number[]) => [5, ...s.map((d) => (d === 1 ? 3 : d))];

function sliceRef(x: NDArray, ax: number, s: number, e: number): NDArray {
  const shape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const o = nd(shape);
  const st = stridesOf(x.shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    idx[ax] += s;
    o.data[i] = x.data[idx.reduce((a, v, d) => a + v * st[d], 0)];
  }
  return o;
}

function concatRef(xs: NDArray[], ax: number): NDArray {
  const shape = xs[0].shape.map((d, i) => (i === ax ? xs.reduce((a, t) => a + t.shape[ax], 0) : d));
  const o = nd(shape);
  const st = stridesOf(shape);
  let off = 0;
  for (const t of xs) {
    for (let i = 0; i < t.data.length; i++) {
      const idx = unravel(i, t.shape);
      idx[ax] += off;
      o.data[idx.reduce((a, v, d) => a + v * st[d], 0)] = t.data[i];
    }
    off += t.shape[ax];
  }
  return o;
}

export const shapeSpecs: OpSpec[] = [
  { name: 'reshape', cases: [[[7, 33]], [[3, 5, 7]]], gpu: ([x]) => reshape(x, [-1]), ref: ([x]) => nd([x.data.length], x.data) },
  { name: 'expand', cases: [[[7, 1]], [[1, 33]], [[1]]], gpu: ([x]) => expand(x, expandTarget(x.shape)), ref: ([x]) => {
    const shape = expandTarget(x.shape);
    const st = broadcastStrides(x.shape, shape);
    const o = nd(shape);
    for (let i = 0; i < o.data.length; i++) o.data[i] = x.data[unravel(i, shape).reduce((a, v, d) => a + v * st[d], 0)];
    return o;
  } },
  { name: 'permute(2,0,1)', cases: [[[3, 5, 7]], [[1, 7, 33]]], gpu: ([x]) => permute(x, [2, 0, 1]), ref: ([x]) => permuteND(x, [2, 0, 1]) },
  // Whole-vec4 copies (inner axis contiguous on both sides, 4-aligned offsets) and merged axes.
  { name: 'permute(patchify)', cases: [[[2, 3, 16, 5, 16]], [[1, 1, 4, 3, 8]]], gpu: ([x]) => permute(x, [0, 1, 3, 2, 4]), ref: ([x]) => permuteND(x, [0, 1, 3, 2, 4]) },
  { name: 'permute(rank 7)', cases: [[[2, 3, 1, 2, 3, 2, 4]]], gpu: ([x]) => permute(x, [6, 4, 0, 2, 1, 5, 3]), ref: ([x]) => permuteND(x, [6, 4, 0, 2, 1, 5, 3]) },
  { name: 'slice(axis=1, 4, 12) vec4', cases: [[[3, 13, 8]]], gpu: ([x]) => slice(x, 1, 4, 12), ref: ([x]) => sliceRef(x, 1, 4, 12) },
  { name: 'transpose 4×4 blocks', cases: [[[8, 12]], [[3, 4, 20]]], gpu: ([x]) => transpose(x), ref: ([x]) => permuteND(x, [...x.shape.keys()].map((i, _, a) => (i < a.length - 2 ? i : 2 * a.length - 3 - i))) },
  { name: 'concat(axis=1) vec4', cases: [[[2, 4, 8], [2, 8, 8]]], gpu: (xs) => concat(xs, 1), ref: (xs) => concatRef(xs, 1) },
  { name: 'transpose', cases: [[[7, 33]], [[257, 1]]], gpu: ([x]) => transpose(x), ref: ([x]) => permuteND(x, [1, 0]) },
  { name: 'slice(axis=1, 2, -1)', cases: [[[7, 33]], [[3, 5, 7]]], gpu: ([x]) => slice(x, 1, 2, -1), ref: ([x]) => sliceRef(x, 1, 2, x.shape[1] - 1) },
  { name: 'concat(axis=1)', cases: [[[7, 3], [7, 33], [7, 1]], [[3, 5, 7], [3, 2, 7]]], gpu: (xs) => concat(xs, 1), ref: (xs) => concatRef(xs, 1) },
  { name: 'concat(axis=0)', cases: [[[1], [257]], [[7, 33], [5, 33]]], gpu: (xs) => concat(xs, 0), ref: (xs) => concatRef(xs, 0) },
  { name: 'stack(axis=1)', cases: [[[7, 33], [7, 33]], [[257], [257]]], gpu: (xs) => stack(xs, 1), ref: (xs) => concatRef(xs.map((x) => nd([...x.shape.slice(0, 1), 1, ...x.shape.slice(1)], x.data)), 1) },
];
