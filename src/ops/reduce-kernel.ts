/**
 * The reduction kernels' dispatch (sum, max, min over any axes with keepdim) and `sumTo`, which every
 * broadcasting op's backward uses. No autograd here beyond sumTo's view, so binary ops and shape ops
 * can use it without importing the differentiable reductions (src/ops/reduce.ts) that use them.
 */
import type { Tensor } from '../tensor/tensor';
import { stridesOf } from '../tensor/ndarray';
import { reduceCode, reduceKernel } from './kernels';
import type { ReduceName } from './elementwise-table';
import { coalesce, empty, grid, pad8, runtime, sameShape } from './util';
import { tuningFor } from '../gpu/tuning';
import { reshape } from './view';

export function outShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Axes (in order) as few (shape, stride) pairs as index the same elements (see `coalesce`). */
function mergeAxes(shape: number[], strides: number[]): { shape: number[]; strides: number[] } {
  const c = coalesce(shape, [strides]);
  return { shape: c.shape, strides: c.strides[0] };
}


/** Trailing axes of a rank-`rank` tensor that are all in (sorted) `axes`. */
function trailingRun(axes: number[], rank: number): number {
  let n = 0;
  while (n < axes.length && axes[axes.length - 1 - n] === rank - 1 - n) n++;
  return n;
}

/**
 * `kind` over sorted `axes` of x, times `scale`. `innerFirst` (default: the adapter's
 * `reduceInnerFirst`): a long reduction into few outputs over non-adjacent axes that include the
 * innermost goes in two calls, the trailing reduced axes first (each output's run contiguous), then
 * the rest.
 */
export function rawReduce(kind: ReduceName, x: Tensor, axes: number[], keepdim: boolean, scale = 1, innerFirst?: boolean): Tensor {
  const st = stridesOf(x.shape);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const nOut = kept.reduce((a, i) => a * x.shape[i], 1);
  const nRed = axes.reduce((a, i) => a * x.shape[i], 1);
  const k = mergeAxes(kept.map((i) => x.shape[i]), kept.map((i) => st[i]));
  const r = mergeAxes(axes.map((i) => x.shape[i]), axes.map((i) => st[i]));
  const trail = trailingRun(axes, x.rank);
  if (nOut > 0 && nOut < 64 && nRed >= 16384 && r.shape.length > 1 && trail > 0 && (innerFirst ?? tuningFor(runtime()).reduceInnerFirst)) {
    const inner = rawReduce(kind, x, axes.slice(axes.length - trail), true, 1, false);
    const outer = rawReduce(kind, inner, axes.slice(0, axes.length - trail), true, scale, false);
    inner.dispose();
    const y = reshape(outer, outShape(x.shape, axes, keepdim));
    outer.dispose();
    return y;
  }
  const y = empty(outShape(x.shape, axes, keepdim));
  if (nOut === 0) return y;
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
      workgroups: grid(nOut * parts, 1), overrides: { OP: reduceCode(kind) },
    });
    runtime().dispatch(reduceKernel('per_thread', 1, 1), {
      buffers: { x: partial.buffer, y: y.buffer },
      uniforms: {
        nOut, nRed: parts, _p0: 0, _p1: 0, scale, parts: 1, chunk: parts, _p2: 0,
        keptShape: pad8([nOut]), keptStrides: pad8([parts]), redShape: pad8([parts]), redStrides: pad8([1]),
      },
      workgroups: grid(nOut, 64), overrides: { OP: reduceCode(kind) },
    });
    partial.dispose();
    return y;
  }
  // On CPU adapters barriers are costly and 64 outputs already fill the threads: column sums (e.g. a
  // bias gradient over batch × tokens rows) go one thread per output, lanes on consecutive columns.
  const perThread = nRed <= 32 || nOut >= tuningFor(runtime()).reducePerThreadOut;
  runtime().dispatch(reduceK(perThread ? 'per_thread' : 'per_group'), {
    buffers: { x: x.buffer, y: y.buffer }, uniforms,
    workgroups: perThread ? grid(nOut, 64) : grid(nOut, 1), overrides: { OP: reduceCode(kind) },
  });
  return y;
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
