// Every op definition, every case: forward vs float64 reference, backward vs finite differences.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkOp } from './helpers/check-op';
import { allOpSpecs } from '../src/ops';
import { coalesce } from '../src/ops/util';
import { broadcastStrides } from '../src/tensor/ndarray';

useGpu();

// The elementwise kernels walk the axes that `coalesce` leaves: each is one index division per
// element, so a merge that stops happening is a slowdown no value test sees.
describe('coalesce', () => {
  const walk = (shape: number[], ...ins: number[][]) => coalesce(shape, ins.map((s) => broadcastStrides(s, shape)));
  it('merges axes contiguous in every operand and drops size-1 axes', () => {
    expect(walk([7, 33], [7, 33], [7, 33])).toEqual({ shape: [231], strides: [[1], [1]] });
    expect(walk([7, 33], [7, 33], [33])).toEqual({ shape: [7, 33], strides: [[33, 1], [0, 1]] });
    expect(walk([2, 3, 4, 5], [2, 3, 4, 5], [1, 1, 4, 5])).toEqual({ shape: [6, 20], strides: [[20, 1], [0, 1]] });
    expect(walk([2, 3, 4, 5], [2, 3, 1, 1], [2, 3, 4, 5])).toEqual({ shape: [6, 20], strides: [[1, 0], [20, 1]] });
    expect(walk([3, 1, 5], [3, 1, 5])).toEqual({ shape: [15], strides: [[1]] });
  });
  it('keeps axes that are not contiguous in some operand, and leaves one axis at least', () => {
    expect(walk([3, 4, 5], [3, 1, 5], [4, 1])).toEqual({ shape: [3, 4, 5], strides: [[5, 0, 1], [0, 1, 0]] });
    expect(walk([1, 1], [1, 1])).toEqual({ shape: [1], strides: [[0]] });
    expect(coalesce([1], [[1]], 1)).toEqual({ shape: [1], strides: [[1]] });
  });
});

describe('ops', () => {
  for (const spec of allOpSpecs) {
    spec.cases.forEach((c, i) => {
      it(`${spec.name} [${c.map((s) => `[${s}]`).join(', ')}]`, async () => { await checkOp(spec, i); });
    });
  }
});
