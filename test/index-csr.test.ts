// indexSelect with host indices: its backward visits each position's matches from a CSR list built
// on the host instead of looping over all J indices per element. The same sums in the same order,
// so the gradient must equal the tensor-index path's (which the op checker pins to finite
// differences) bit for bit, duplicates and batched indices included.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { indexSelect } from '../src/ops';
import { backward } from '../src/tensor/autograd';
import { scopeAsync, tensor } from '../src/tensor/tensor';
import { Rng } from '../src/util/rng';

useGpu();

async function gradOf(shape: number[], axis: number, idx: Int32Array, idxShape: number[], host: boolean, seed: number): Promise<Float32Array> {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return scopeAsync(async () => {
    const x = tensor(Float32Array.from({ length: n }, () => rng.uniform() - 0.5), shape).requireGrad();
    const y = indexSelect(x, axis, host ? { data: idx, shape: idxShape } : tensor(idx, idxShape, 'i32'));
    backward(y, tensor(Float32Array.from({ length: y.size }, () => rng.uniform() - 0.5), y.shape));
    return x.grad!.toFloat32();
  });
}

describe('indexSelect with host indices (CSR backward)', () => {
  const cases: [string, number[], number, number[]][] = [
    ['[J] over axis 0, duplicates, J > n', [33, 3], 0, [40]],
    ['[outer, J] over axis 1, duplicates', [3, 190, 7], 1, [3, 57]],
    ['[outer, J] over axis 1, inner 1', [2, 33, 1], 1, [2, 7]],
    ['[outer, J] over axis 1, inner 8 (vec4 kernels)', [3, 190, 8], 1, [3, 57]],
    ['[J] over axis 1 shared by 5 rows, a position never picked', [5, 11, 4], 1, [9]],
  ];
  for (const [name, shape, axis, idxShape] of cases) {
    it(name, async () => {
      const rng = new Rng(7);
      const n = shape[axis];
      const idx = Int32Array.from({ length: idxShape.reduce((a, b) => a * b, 1) }, () => Math.floor(rng.uniform() * (n - 1)));
      const want = await gradOf(shape, axis, idx, idxShape, false, 3);
      const got = await gradOf(shape, axis, idx, idxShape, true, 3);
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(want.some((v) => v !== 0)).toBe(true);
    });
  }

  it('rejects host indices that do not fill their shape, or are out of range', () => {
    const x = tensor(new Float32Array(12), [3, 4]);
    expect(() => indexSelect(x, 1, { data: Int32Array.from([0, 1, 2]), shape: [3, 2] })).toThrow('indexSelect: 3 indices do not fill shape [3,2]');
    expect(() => indexSelect(x, 1, { data: Int32Array.from([0, 4]), shape: [2] })).toThrow('indexSelect: index 4 out of range [0, 4)');
    x.dispose();
  });
});
