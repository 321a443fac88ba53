/**
 * The definition of an op for testing: its GPU function (kernel + backward rule, via autograd) and
 * its float64 CPU reference side by side. The shared helper in test/helpers/check-op.ts checks the
 * forward against `ref` and the backward against finite differences of `ref`.
 */
import type { Tensor } from '../tensor/tensor';
import type { NDArray } from '../tensor/ndarray';

export interface OpSpec {
  name: string;
  /** Input shapes per test case. */
  cases: number[][][];
  gpu: (x: Tensor[]) => Tensor;
  ref: (x: NDArray[]) => NDArray;
  /** Sampling range of each input (default [-2, 2]). */
  domain?: [number, number] | [number, number][];
  /** Max |gpu − ref| ≤ atol + rtol·|ref| (forward) and likewise for gradients. */
  tol?: { atol?: number; rtol?: number; gradAtol?: number; gradRtol?: number };
  /** Which inputs get a gradient check (default all); false for non-differentiable ops. */
  grad?: boolean[] | false;
  /** Custom input generator (e.g. integer index tensors). */
  makeInput?: (shapes: number[][], inputIndex: number, rand: () => number) => number[] | null;
  /** Inputs that are int32 (indices). */
  intInputs?: number[];
}

export const shapeCases = {
  /** One input of odd sizes (and one power of two). */
  unary: [[[1]], [[7]], [[33]], [[257]], [[7, 33]], [[3, 1, 5]], [[4, 64]]] as number[][][],
  /** Two inputs including broadcasting. */
  // The last case keeps five axes after merging (no two neighbours are contiguous in both inputs).
  binary: [[[1], [1]], [[7], [7]], [[257], [257]], [[7, 33], [7, 33]], [[4, 64], [4, 64]], [[7, 33], [33]], [[7, 1], [1, 33]], [[3, 1, 5], [4, 1]], [[33], [1]], [[2, 1, 3, 1, 5], [4, 1, 2, 5]]] as number[][][],
};
