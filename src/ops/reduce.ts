/**
 * Reductions over any axes with keepdim: sum, mean, max, min, and var/std composed from them.
 * The kernel reads the input through kept-dim and reduced-dim strides, so no transpose is made.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { normAxes, reduce as reduceND, type NDArray } from '../tensor/ndarray';
import { checkF32 } from './util';
import { type OpSpec } from './spec';
import { outShape, rawReduce, sumTo } from './reduce-kernel';
import { expand, reshape } from './shape';
import { eq, mul, sub, div } from './binary';
import { square, sqrt } from './unary';

export { sumTo };

type Axes = number | number[] | undefined;

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
  // Both orders of such a reduction on every adapter (the tuning picks one): the trailing run first
  // then the rest, or one strided pass; non-adjacent reduced axes with the innermost among them.
  ...([['sum', sumRef, 1], ['mean', (v: number[]) => sumRef(v) / v.length, 0], ['max', (v: number[]) => v.reduce((a, b) => Math.max(a, b), -Infinity), 1]] as const).flatMap(
    ([name, f, plain]) => [true, false].flatMap((innerFirst) => [[[[40, 3, 601]], [0, 2]], [[[5, 3, 2, 3, 1200]], [0, 3, 4]]].map(([c, ax]): OpSpec => ({
      name: `${name}(two-stage, axes=${ax}, ${innerFirst ? 'trailing run first' : 'one pass'})`,
      cases: [c as number[][]],
      gpu: ([x]) => rawReduce(name === 'mean' ? 'sum' : name, x, ax as number[], false, plain ? 1 : 1 / (ax as number[]).reduce((a, i) => a * x.shape[i], 1), innerFirst),
      ref: ([x]: NDArray[]) => reduceND(x, ax as number[], false, f),
      grad: false,
      tol: { atol: 1e-4, rtol: 1e-5 },
    })))),
];
