/**
 * `reshape`, the one view op: a new shape over the same storage. In a file of its own because the
 * reductions (sumTo, behind every broadcast gradient) need it and the shape ops need them.
 */
import { Storage, Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { numel } from './util';

/** A view with a new shape over the same storage (one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = shape.map((d) => (d === -1 ? x.size / known : d));
  if (shape.filter((d) => d === -1).length > 1 || numel(inferred) !== x.size || inferred.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot view shape [${x.shape}] as [${shape}]`);
  }
  const y = new Tensor(inferred, (x.storage as Storage).retain(), x.dtype);
  return record('reshape', y, [x], [], (g) => [reshape(g, x.shape)]);
}
