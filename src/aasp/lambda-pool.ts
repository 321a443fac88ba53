/**
 * The Lambda Encoder's pooling over time (spec 3.2 step 3) as one op, forward and backward in one
 * kernel each (shaders/lambda-pool.wgsl): [R, C, T] → [R, 2C], the C channel means then the C
 * standard deviations sqrt(var + eps) with the population variance. Composed from mean, variance,
 * sqrt and concat it took 8 dispatches forward and more backward, with broadcast copies of the
 * whole [R, C, T] activation (measured with `pretrain --profile`).
 */
import lambdaPoolSrc from '../../shaders/lambda-pool.wgsl?raw';
import { kernelFamily } from '../gpu/kernel';
import { grid1d, runtime } from '../gpu/runtime';
import { empty, type Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import type { OpSpec } from '../ops/spec';

const poolK = kernelFamily('lambda-pool', lambdaPoolSrc);
const grid = (n: number): [number, number] => grid1d(Math.ceil(n / 64));

/** x [R, C, T] → [R, 2C]: means, then sqrt(population variance + eps). */
export function meanStdPool(x: Tensor, eps: number): Tensor {
  if (x.rank !== 3 || x.shape[2] < 1) throw new Error(`meanStdPool: x must be [R, C, T] with T ≥ 1, got [${x.shape}]`);
  const [R, C, T] = x.shape;
  const y = empty([R, 2 * C]);
  const u = { R, C, T, eps };
  runtime().dispatch(poolK('forward'), { buffers: { x: x.buffer, y: y.buffer }, uniforms: u, workgroups: grid(R * C) });
  return record('meanStdPool', y, [x], [x, y], (g, [xs, ys]) => {
    const dx = empty(xs.shape);
    runtime().dispatch(poolK('backward'), { buffers: { x: xs.buffer, yin: ys.buffer, gy: g.buffer, dx: dx.buffer }, uniforms: u, workgroups: grid(R * C * T) });
    return [dx];
  });
}

/** Float64 reference. */
export function meanStdPoolRef(x: NDArray, eps: number): NDArray {
  const [R, C, T] = x.shape;
  const y = nd([R, 2 * C]);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
    const b = (r * C + c) * T;
    let s = 0;
    for (let t = 0; t < T; t++) s += x.data[b + t];
    const mu = s / T;
    let q = 0;
    for (let t = 0; t < T; t++) q += (x.data[b + t] - mu) ** 2;
    y.data[r * 2 * C + c] = mu;
    y.data[r * 2 * C + C + c] = Math.sqrt(q / T + eps);
  }
  return y;
}

export const meanStdPoolSpecs: OpSpec[] = [
  {
    name: 'meanStdPool(eps 1e-5)',
    cases: [[[1, 1, 1]], [[3, 16, 33]], [[7, 5, 257]], [[2, 1, 7]]],
    gpu: ([x]) => meanStdPool(x, 1e-5),
    ref: ([x]) => meanStdPoolRef(x, 1e-5),
    tol: { atol: 1e-5, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-3 },
  },
];
