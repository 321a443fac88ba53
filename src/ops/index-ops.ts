/**
 * Gather along one axis (index-select) and its adjoint (index-add), for token masking and picking
 * class scores. Indices are int32, either [J] shared by every leading row or [...x.shape[:axis], J].
 */
import { Tensor, tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import { indexK } from './kernels';
import { checkF32, empty, grid, normAxis, runtime } from './util';
import type { OpSpec } from './spec';
import { zeros } from './create';

/** Indices known on the host, of any shape the op accepts ([J] or [...x.shape[:axis], J]). */
export interface HostIndex { data: Int32Array; shape: number[] }
type Index = Tensor | Int32Array | number[] | HostIndex;

function geometry(op: string, x: readonly number[], axis: number, idx: Tensor) {
  const ax = normAxis(op, axis, x.length);
  const outer = x.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = x.slice(ax + 1).reduce((a, b) => a * b, 1);
  if (idx.dtype !== 'i32') throw new Error(`${op}: indices must be int32, got ${idx.dtype}`);
  let batched = 0, J: number;
  if (idx.rank === 1) J = idx.shape[0];
  else {
    const lead = idx.shape.slice(0, -1);
    if (lead.length !== ax || lead.some((d, i) => d !== x[i])) {
      throw new Error(`${op}: indices of shape [${idx.shape}] do not match shape [${x}] before axis ${axis}`);
    }
    batched = 1;
    J = idx.shape[idx.rank - 1];
  }
  return { ax, outer, inner, n: x[ax], J, batched };
}

function toIndexTensor(op: string, idx: Index, limit: number): { t: Tensor; owned: boolean; host: Int32Array | null } {
  if (idx instanceof Tensor) return { t: idx, owned: false, host: null };
  const { data, shape } = idx instanceof Int32Array || Array.isArray(idx) ? { data: Int32Array.from(idx), shape: [idx.length] } : idx;
  if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`${op}: ${data.length} indices do not fill shape [${shape}]`);
  for (const v of data) if (v < 0 || v >= limit) throw new Error(`${op}: index ${v} out of range [0, ${limit})`);
  return { t: tensor(data, shape, 'i32'), owned: true, host: data };
}

/**
 * For each row (each leading row when indices are batched, else one) and position r < n, the j with
 * idx[row, j] = r in ascending order, as CSR (`start` [rows·n + 1], `list` [rows·J]): index-add then
 * visits only the matches, in the order add_main's loop over all J would.
 */
function csrOf(idx: Int32Array, rows: number, J: number, n: number): { start: Int32Array; list: Int32Array } {
  const start = new Int32Array(rows * n + 1), list = new Int32Array(rows * J);
  for (let o = 0; o < rows; o++) for (let j = 0; j < J; j++) start[o * n + idx[o * J + j] + 1]++;
  for (let k = 0; k < rows * n; k++) start[k + 1] += start[k];
  const next = start.slice(0, rows * n);
  for (let o = 0; o < rows; o++) for (let j = 0; j < J; j++) list[next[o * n + idx[o * J + j]]++] = j;
  return { start, list };
}

/** y = x with `axis` replaced by the J picked positions. Out-of-range GPU indices read NaN. */
export function indexSelect(x: Tensor, axis: number, index: Index): Tensor {
  checkF32('indexSelect', x);
  const { t: idx, owned, host } = toIndexTensor('indexSelect', index, x.shape[normAxis('indexSelect', axis, x.rank)]);
  const g = geometry('indexSelect', x.shape, axis, idx);
  const y = indexSelectRaw(x, g.ax, idx);
  // Host indices: the backward visits only each position's matches (CSR), not all J per element.
  const csr = host ? csrOf(host, g.batched ? g.outer : 1, g.J, g.n) : null;
  const out = record('indexSelect', y, [x], [idx], (gy, [ix]) => {
    const z = zeros(x.shape);
    const r = indexAddRaw(z, g.ax, ix, gy, csr ?? undefined);
    z.dispose();
    return [r];
  });
  if (owned) idx.dispose();
  return out;
}

/**
 * y = base + src's slices added at the indexed positions. With `csr` (csrOf, host indices) the kernel
 * visits only each position's listed matches: the same sums in the same order as the loop over all J.
 */
function indexAddRaw(base: Tensor, axis: number, idx: Tensor, src: Tensor, csr?: { start: Int32Array; list: Int32Array }): Tensor {
  const g = geometry('indexAdd', base.shape, axis, idx);
  const want = base.shape.map((d, i) => (i === g.ax ? g.J : d));
  if (src.rank !== want.length || src.shape.some((d, i) => d !== want[i])) {
    throw new Error(`indexAdd: source has shape [${src.shape}], expected [${want}]`);
  }
  const y = empty(base.shape);
  const lists = csr ? [tensor(csr.start, [csr.start.length], 'i32'), tensor(csr.list, [csr.list.length], 'i32')] : null;
  const V = unitOf(g.inner);
  runtime().dispatch(indexK(lists ? 'add_csr_main' : 'add_main', V), {
    buffers: { x: base.buffer, src: src.buffer, y: y.buffer, ...(lists ? { start: lists[0].buffer, list: lists[1].buffer } : { idx: idx.buffer }) },
    uniforms: { outer: g.outer, n: g.n, inner: g.inner / V, J: g.J, batched: g.batched, total: y.size / V },
    workgroups: grid(y.size / V),
  });
  for (const t of lists ?? []) t.dispose();
  return y;
}

/** y = base, plus src's slices added at the indexed positions along `axis` (duplicates add up). */
export function indexAdd(base: Tensor, axis: number, index: Index, src: Tensor): Tensor {
  checkF32('indexAdd', base, src);
  const { t: idx, owned } = toIndexTensor('indexAdd', index, base.shape[normAxis('indexAdd', axis, base.rank)]);
  const y = indexAddRaw(base, axis, idx, src);
  const ax = normAxis('indexAdd', axis, base.rank);
  const out = record('indexAdd', y, [base, src], [idx], (gy, [ix]) => [gy.detach(), indexSelectRaw(gy, ax, ix)]);
  if (owned) idx.dispose();
  return out;
}

/** The kernels' unit: vec4s of the inner slices where they are a multiple of 4 long. */
const unitOf = (inner: number): 1 | 4 => (inner % 4 === 0 ? 4 : 1);

function indexSelectRaw(x: Tensor, ax: number, idx: Tensor): Tensor {
  const g = geometry('indexSelect', x.shape, ax, idx);
  const y = empty(x.shape.map((d, i) => (i === g.ax ? g.J : d)));
  const V = unitOf(g.inner);
  runtime().dispatch(indexK('select_main', V), {
    buffers: { x: x.buffer, idx: idx.buffer, y: y.buffer },
    uniforms: { outer: g.outer, n: g.n, inner: g.inner / V, J: g.J, batched: g.batched, total: y.size / V },
    workgroups: grid(y.size / V),
  });
  return y;
}

// ---- references ----

function selectRef(x: NDArray, ax: number, idx: NDArray): NDArray {
  const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1), inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const J = idx.shape[idx.shape.length - 1], n = x.shape[ax], batched = idx.shape.length > 1;
  const o = nd(x.shape.map((d, i) => (i === ax ? J : d)));
  for (let a = 0; a < outer; a++) for (let j = 0; j < J; j++) for (let i = 0; i < inner; i++) {
    o.data[(a * J + j) * inner + i] = x.data[(a * n + idx.data[(batched ? a * J : 0) + j]) * inner + i];
  }
  return o;
}

function addRef(base: NDArray, ax: number, idx: NDArray, src: NDArray): NDArray {
  const outer = base.shape.slice(0, ax).reduce((a, b) => a * b, 1), inner = base.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const J = idx.shape[idx.shape.length - 1], n = base.shape[ax], batched = idx.shape.length > 1;
  const o = nd(base.shape, base.data);
  for (let a = 0; a < outer; a++) for (let j = 0; j < J; j++) for (let i = 0; i < inner; i++) {
    o.data[(a * n + idx.data[(batched ? a * J : 0) + j]) * inner + i] += src.data[(a * J + j) * inner + i];
  }
  return o;
}

const randIdx = (n: number) => (shapes: number[][], i: number, rand: () => number) =>
  (i === 1 ? Array.from({ length: shapes[1].reduce((a, b) => a * b, 1) }, () => Math.floor(rand() * n)) : null);

export const indexSpecs: OpSpec[] = [
  // Inner sizes that are multiples of 4 take the vec4 kernels (32, 8, 4, 12), the others the f32 ones.
  { name: 'indexSelect(axis=0)', cases: [[[7, 33], [5]], [[257], [1]], [[33, 3], [40]], [[7, 32], [5]]], gpu: ([x, i]) => indexSelect(x, 0, i), ref: ([x, i]) => selectRef(x, 0, i), intInputs: [1], makeInput: (s, i, r) => randIdx(s[0][0])(s, i, r), grad: [true, false] },
  { name: 'indexSelect(axis=1, batched)', cases: [[[3, 190, 7], [3, 57]], [[2, 33, 1], [2, 7]], [[3, 190, 8], [3, 57]], [[2, 9, 4], [2, 7]]], gpu: ([x, i]) => indexSelect(x, 1, i), ref: ([x, i]) => selectRef(x, 1, i), intInputs: [1], makeInput: (s, i, r) => randIdx(s[0][1])(s, i, r), grad: [true, false] },
  {
    name: 'indexAdd(axis=1, batched, duplicates)', cases: [[[3, 33, 5], [3, 40], [3, 40, 5]], [[1, 7, 1], [1, 7], [1, 7, 1]], [[3, 33, 12], [3, 40], [3, 40, 12]]],
    gpu: ([b, i, s]) => indexAdd(b, 1, i, s), ref: ([b, i, s]) => addRef(b, 1, i, s), intInputs: [1],
    makeInput: (s, i, r) => randIdx(s[0][1])(s, i, r), grad: [true, false, true],
  },
];
