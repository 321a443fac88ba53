/** Creation ops: filled, ranges, and seeded random tensors (drawn from one `Rng` on the CPU). */
import { Tensor, tensor, type DType } from '../tensor/tensor';
import { copyK } from './kernels';
import { empty, grid, numel, runtime } from './util';
import type { Rng } from '../util/rng';

export function full(shape: readonly number[], value: number, dtype: DType = 'f32'): Tensor {
  const t = empty(shape, dtype, runtime(), 'full');
  if (dtype === 'i32') {
    if (t.size) runtime().write(t.buffer, new Int32Array(t.size).fill(value));
    return t;
  }
  if (t.size) {
    runtime().dispatch(copyK('fill'), {
      buffers: { dst: t.buffer },
      uniforms: { n: t.size, value, step: 0, _p0: 0 },
      workgroups: grid(t.size),
    });
  }
  return t;
}

export const zeros = (shape: readonly number[], dtype: DType = 'f32') => full(shape, 0, dtype);
export const ones = (shape: readonly number[]) => full(shape, 1);
export const zerosLike = (t: Tensor) => zeros(t.shape);
export const onesLike = (t: Tensor) => ones(t.shape);

/** [start, start + step, ...) below `end`. */
export function arange(start: number, end?: number, step = 1): Tensor {
  if (end === undefined) { end = start; start = 0; }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const t = empty([n], 'f32', runtime(), 'arange');
  if (n) {
    runtime().dispatch(copyK('arange'), {
      buffers: { dst: t.buffer },
      uniforms: { n, value: start, step, _p0: 0 },
      workgroups: grid(n),
    });
  }
  return t;
}

export function randn(shape: readonly number[], rng: Rng, std = 1, mean = 0): Tensor {
  const d = new Float32Array(numel(shape));
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return tensor(d, shape);
}

export function rand(shape: readonly number[], rng: Rng, lo = 0, hi = 1): Tensor {
  const d = new Float32Array(numel(shape));
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.uniform();
  return tensor(d, shape);
}

/** Normal truncated at ±2σ (redrawn until inside), as the spec's Linear init. */
export function truncNormal(shape: readonly number[], rng: Rng, std: number): Tensor {
  const d = new Float32Array(numel(shape));
  for (let i = 0; i < d.length; i++) {
    let v = rng.normal();
    while (v < -2 || v > 2) v = rng.normal();
    d[i] = v * std;
  }
  return tensor(d, shape);
}
