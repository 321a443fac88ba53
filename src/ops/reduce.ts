/**
 * Reductions over any axes with keepdim: sum, mean, max, min, and var/std composed from them.
 * The kernel reads the input through kept-dim and reduced-dim strides, so no transpose is made.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { normAxes, reduce as reduceND, stridesOf, type NDArray } from '../tensor/ndarray';
import { reduceSource, templateKernel } from './kernels';
import { checkF32, empty, grid, pad8, runtime, sameShape } from './util';
import { tuningFor } from '../gpu/tuning';
import { type OpSpec } from './spec';
import { expand, reshape } from './shape';
import { eq, mul, sub, div } from './binary';
import { square, sqrt } from './unary';

type Axes = number | number[] | undefined;
const OPS = { sum: 0, max: 1, min: 2 } as const;

function outShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/**
 * Axes (in order) as few (shape, stride) pairs as index the same elements: size-1 axes dropped,
 * neighbours merged where the outer stride is the inner stride times the inner size. At least one.
 */
function mergeAxes(shape: number[], strides: number[]): { shape: number[]; strides: number[] } {
  const out = { shape: [] as number[], strides: [] as number[] };
  shape.forEach((n, i) => {
    if (n === 1) return;
    const k = out.shape.length - 1;
    if (k >= 0 && out.strides[k] === strides[i] * n) { out.shape[k] *= n; out.strides[k] = strides[i]; } else { out.shape.push(n); out.strides.push(strides[i]); }
  });
  return out.shape.length ? out : { shape: [1], strides: [0] };
}

const reduceKernel = (entry: string, kr: number, rr: number) => templateKernel('reduce', reduceSource, { KR: kr, RR: rr }, entry);

function rawReduce(kind: keyof typeof OPS, x: Tensor, axes: number[], keepdim: boolean, scale = 1): Tensor {
  const st = stridesOf(x.shape);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const nOut = kept.reduce((a, i) => a * x.shape[i], 1);
  const nRed = axes.reduce((a, i) => a * x.shape[i], 1);
  const y = empty(outShape(x.shape, axes, keepdim));
  if (nOut === 0) return y;
  const k = mergeAxes(kept.map((i) => x.shape[i]), kept.map((i) => st[i]));
  const r = mergeAxes(axes.map((i) => x.shape[i]), axes.map((i) => st[i]));
  const reduceK = (entry: string) => reduceKernel(entry, k.shape.length, r.shape.length);
  const uniforms = {
    nOut, nRed, _p0: 0, _p1: 0, scale,
    parts: 1, chunk: nRed, _p2: 0,
    keptShape: pad8(k.shape), keptStrides: pad8(k.strides),
    redShape: pad8(r.shape), redStrides: pad8(r.strides),
  };
  // Few outputs over a long range: two stages, so more than one workgroup works on each output.
  if (nOut < 64 && nRed >= 16384) {
    const parts = Math.min(256, Math.ceil(nRed / 4096));
    const chunk = Math.ceil(nRed / parts / 4) * 4;
    const partial = empty([nOut, parts]);
    // Reduced axes trailing (each output's elements contiguous) and a multiple of 4: vec4 loads.
    const contig = nRed % 4 === 0 && axes.every((a, i) => a === x.rank - axes.length + i);
    runtime().dispatch(reduceK(contig ? 'contig_split' : 'per_group_split'), {
      buffers: contig ? { x4: x.buffer, y: partial.buffer } : { x: x.buffer, y: partial.buffer }, uniforms: { ...uniforms, scale: 1, parts, chunk },
      workgroups: grid(nOut * parts, 1), overrides: { OP: OPS[kind] },
    });
    runtime().dispatch(reduceKernel('per_thread', 1, 1), {
      buffers: { x: partial.buffer, y: y.buffer },
      uniforms: {
        nOut, nRed: parts, _p0: 0, _p1: 0, scale, parts: 1, chunk: parts, _p2: 0,
        keptShape: pad8([nOut]), keptStrides: pad8([parts]), redShape: pad8([parts]), redStrides: pad8([1]),
      },
      workgroups: grid(nOut, 64), overrides: { OP: OPS[kind] },
    });
    partial.dispose();
    return y;
  }
  // On CPU adapters barriers are costly and 64 outputs already fill the threads: column sums (e.g. a
  // bias gradient over batch × tokens rows) go one thread per output, lanes on consecutive columns.
  const perThread = nRed <= 32 || nOut >= tuningFor(runtime()).reducePerThreadOut;
  runtime().dispatch(reduceK(perThread ? 'per_thread' : 'per_group'), {
    buffers: { x: x.buffer, y: y.buffer }, uniforms,
    workgroups: perThread ? grid(nOut, 64) : grid(nOut, 1), overrides: { OP: OPS[kind] },
  });
  return y;
}

function check(op: string, x: Tensor, axes: Axes): number[] {
  checkF32(op, x);
  const ax = normAxes(axes, x.rank);
  for (const a of ax) if (a < 0 || a >= x.rank) throw new Error(`${op}: axis ${a} out of range for shape [${x.shape}]`);
  return ax;
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = check('sum', x, axes);
  const y = rawReduce('sum', x, ax, keepdim);
  const kshape = outShape(x.shape, ax, true);
  return record('sum', y, [x], [], (g) => [expand(reshape(g, kshape), x.shape)]);
}

export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = check('mean', x, axes);
  const n = ax.reduce((a, i) => a * x.shape[i], 1);
  const y = rawReduce('sum', x, ax, keepdim, 1 / n);
  const kshape = outShape(x.shape, ax, true);
  return record('mean', y, [x], [], (g) => {
    const e = expand(reshape(g, kshape), x.shape);
    const r = mul(e, 1 / n);
    e.dispose();
    return [r];
  });
}

function extreme(kind: 'max' | 'min', x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  const ax = check(kind, x, axes);
  const y = rawReduce(kind, x, ax, keepdim);
  const kshape = outShape(x.shape, ax, true);
  // Every element equal to the extreme receives the gradient (ties each get all of it).
  return record(kind, y, [x], [x, y], (g, [xs, ys]) => {
    const mask = eq(xs, reshape(ys, kshape));
    const r = mul(mask, reshape(g, kshape));
    mask.dispose();
    return [r];
  });
}

export const max = (x: Tensor, axes?: Axes, keepdim = false) => extreme('max', x, axes, keepdim);
export const min = (x: Tensor, axes?: Axes, keepdim = false) => extreme('min', x, axes, keepdim);

/** Variance with `correction` (0: population, 1: unbiased). */
export function variance(x: Tensor, axes?: Axes, keepdim = false, correction = 0): Tensor {
  const ax = check('var', x, axes);
  const n = ax.reduce((a, i) => a * x.shape[i], 1);
  const m = mean(x, ax, true);
  const d = sub(x, m);
  const sq = square(d);
  const s = sum(sq, ax, keepdim);
  const v = div(s, Math.max(n - correction, 1));
  for (const t of [m, d, sq, s]) t.dispose();
  return v;
}

export function std(x: Tensor, axes?: Axes, keepdim = false, correction = 0): Tensor {
  const v = variance(x, axes, keepdim, correction);
  const r = sqrt(v);
  v.dispose();
  return r;
}

/** Sum a broadcast gradient back down to `shape` (leading dims and size-1 dims). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return reshape(g, shape);
  const off = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < off || (shape[i - off] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = rawReduce('sum', g, axes, true);
  const r = reshape(s, shape);
  s.dispose();
  return r;
}

const sumRef = (v: number[]) => v.reduce((a, b) => a + b, 0);
const cases = [[[1]], [[7]], [[257]], [[7, 33]], [[3, 5, 7]], [[33, 257]]];
const axesFor = (rank: number): (number[] | undefined)[] => (rank === 1 ? [undefined] : rank === 2 ? [[1], [0], undefined] : [[1], [0, 2], [2]]);

function reduceSpecs(name: string, gpu: (x: Tensor, ax: Axes, k: boolean) => Tensor, f: (v: number[]) => number): OpSpec[] {
  return cases.flatMap((c) => axesFor(c[0].length).flatMap((ax) => [false, true].map((keep): OpSpec => ({
    name: `${name}(axes=${ax ?? 'all'}, keepdim=${keep})`,
    cases: [c],
    gpu: ([x]) => gpu(x, ax, keep),
    ref: ([x]: NDArray[]) => reduceND(x, normAxes(ax, x.shape.length), keep, f),
    tol: { atol: 1e-5, rtol: 1e-5 },
  }))));
}

export const reductionSpecs: OpSpec[] = [
  ...reduceSpecs('sum', sum, sumRef),
  ...reduceSpecs('mean', mean, (v) => sumRef(v) / v.length),
  ...reduceSpecs('max', max, (v) => Math.max(...v)),
  ...reduceSpecs('min', min, (v) => Math.min(...v)),
  ...reduceSpecs('var', (x, ax, k) => variance(x, ax, k), (v) => { const m = sumRef(v) / v.length; return sumRef(v.map((t) => (t - m) ** 2)) / v.length; }),
  ...reduceSpecs('std(unbiased)', (x, ax, k) => std(x, ax, k, 1), (v) => { const m = sumRef(v) / v.length; return Math.sqrt(sumRef(v.map((t) => (t - m) ** 2)) / Math.max(v.length - 1, 1)); })
    // std is not differentiable where it is 0 (a single element).
    .filter((s) => s.cases[0][0].some((d) => d > 1)),
  // Long reductions into few outputs: the two-stage path (contig_split or per_group_split, then
  // per_thread); [70001], axes [0] of [20000, 3] and axes [0, 2] of [40, 3, 601] (a bias gradient
  // over rows and time) take the strided per_group_split.
  ...([['sum', sum, sumRef], ['mean', mean, (v: number[]) => sumRef(v) / v.length], ['max', max, (v: number[]) => v.reduce((a, b) => Math.max(a, b), -Infinity)]] as const).flatMap(
    ([name, gpu, f]) => [[[[70000]], undefined], [[[3, 20000]], [1]], [[[70001]], undefined], [[[20000, 3]], [0]], [[[40, 3, 601]], [0, 2]]].map(([c, ax]): OpSpec => ({
      name: `${name}(two-stage, axes=${ax ?? 'all'})`,
      cases: [c as number[][]],
      gpu: ([x]) => (gpu as (x: Tensor, a: Axes, k: boolean) => Tensor)(x, ax as Axes, false),
      ref: ([x]: NDArray[]) => reduceND(x, normAxes(ax as Axes, x.shape.length), false, f),
      tol: { atol: 1e-4, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-3 },
    }))),
];
