/**
 * Float64 CPU arrays: the reference every GPU op is checked against. Plain loops, no cleverness.
 */
export interface NDArray { shape: number[]; data: Float64Array }

export function nd(shape: readonly number[], data?: ArrayLike<number>): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`nd: ${data.length} values for shape [${shape}]`);
    d.set(data);
  }
  return { shape: [...shape], data: d };
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Numpy-style broadcast of two shapes; throws naming the op on mismatch. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${op}: shapes [${a}] and [${b}] cannot be broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides of `shape` viewed inside `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const st = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, i) => (i < off || shape[i - off] === 1 ? 0 : st[i - off]));
}

export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]; i = Math.floor(i / shape[d]); }
  return idx;
}

export function map(a: NDArray, f: (x: number) => number): NDArray {
  const o = nd(a.shape);
  for (let i = 0; i < a.data.length; i++) o.data[i] = f(a.data[i]);
  return o;
}

export function zip(op: string, a: NDArray, b: NDArray, f: (x: number, y: number) => number): NDArray {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const sa = broadcastStrides(a.shape, shape), sb = broadcastStrides(b.shape, shape);
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    let ia = 0, ib = 0;
    for (let d = 0; d < shape.length; d++) { ia += idx[d] * sa[d]; ib += idx[d] * sb[d]; }
    o.data[i] = f(a.data[ia], b.data[ib]);
  }
  return o;
}

export function normAxes(axes: number | number[] | undefined, rank: number): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : Array.isArray(axes) ? axes : [axes];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((x, y) => x - y);
}

/** Reduce over `axes` with `f` applied to the list of reduced values. */
export function reduce(a: NDArray, axes: number[], keepdim: boolean, f: (vals: number[]) => number): NDArray {
  const keptShape = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepdim ? keptShape : a.shape.filter((_, i) => !axes.includes(i));
  const groups = new Map<number, number[]>();
  const ks = stridesOf(keptShape);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    let o = 0;
    for (let d = 0; d < idx.length; d++) if (!axes.includes(d)) o += idx[d] * ks[d];
    let g = groups.get(o);
    if (!g) { g = []; groups.set(o, g); }
    g.push(a.data[i]);
  }
  const out = nd(outShape);
  for (let o = 0; o < out.data.length; o++) out.data[o] = f(groups.get(o) ?? []);
  return out;
}

export function permuteND(a: NDArray, perm: number[]): NDArray {
  const shape = perm.map((p) => a.shape[p]);
  const st = stridesOf(a.shape);
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * st[perm[d]];
    o.data[i] = a.data[src];
  }
  return o;
}

/** Batched matmul with broadcast batch dims and optional transposes (float64). */
export function matmulND(a: NDArray, b: NDArray, transA = false, transB = false): NDArray {
  const ar = a.shape.length, br = b.shape.length;
  const M = transA ? a.shape[ar - 1] : a.shape[ar - 2], K = transA ? a.shape[ar - 2] : a.shape[ar - 1];
  const K2 = transB ? b.shape[br - 1] : b.shape[br - 2], N = transB ? b.shape[br - 2] : b.shape[br - 1];
  if (K !== K2) throw new Error(`matmul: inner dimensions differ: [${a.shape}] and [${b.shape}]`);
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const sa = broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * a.shape[ar - 1] * a.shape[ar - 2]);
  const sb = broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * b.shape[br - 1] * b.shape[br - 2]);
  const nb = batch.reduce((x, y) => x * y, 1);
  const o = nd([...batch, M, N]);
  for (let bi = 0; bi < nb; bi++) {
    const idx = unravel(bi, batch);
    let oa = 0, ob = 0;
    for (let d = 0; d < idx.length; d++) { oa += idx[d] * sa[d]; ob += idx[d] * sb[d]; }
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = a.data[oa + (transA ? k * M + i : i * K + k)];
        const bv = b.data[ob + (transB ? j * K + k : k * N + j)];
        s += av * bv;
      }
      o.data[bi * M * N + i * N + j] = s;
    }
  }
  return o;
}

/** erf with |error| < 1e-15 via its Taylor series / continued fraction (float64 reference). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = 0, term = ax;
    for (let n = 0; n < 200; n++) {
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
      term *= -ax * ax / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

export function zip3(op: string, a: NDArray, b: NDArray, c: NDArray, f: (x: number, y: number, z: number) => number): NDArray {
  const shape = broadcastShapes(op, broadcastShapes(op, a.shape, b.shape), c.shape);
  const [sa, sb, sc] = [a, b, c].map((t) => broadcastStrides(t.shape, shape));
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    let ia = 0, ib = 0, ic = 0;
    for (let d = 0; d < shape.length; d++) { ia += idx[d] * sa[d]; ib += idx[d] * sb[d]; ic += idx[d] * sc[d]; }
    o.data[i] = f(a.data[ia], b.data[ib], c.data[ic]);
  }
  return o;
}
