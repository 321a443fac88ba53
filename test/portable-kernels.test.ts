// The kernels GPUs without 8-wide subgroups run, with the whole file on the GPU tuning (lavapipe
// otherwise takes the subgroup variants): the row kernels' 64-thread variants (shared-memory tree
// reductions, shaders/lib/tree_reduce.wgsl) and linear on the tile matmul with its fused epilogue
// (bias, GELU, saved pre-activation: shaders/lib/matmul_vec4.wgsl). Forward and backward vs float64.
import { beforeAll, describe, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkOp } from './helpers/check-op';
import { linearSpecs, nnSpecs } from '../src/ops';
import { setTuning } from '../src/gpu/tuning';

const gpu = useGpu();
beforeAll(() => { setTuning(gpu.rt(), { matmul: 'tile' }); });

describe('kernels without subgroups', () => {
  for (const spec of [...nnSpecs.filter((s) => /^(softmax|logSoftmax|layerNorm)/.test(s.name)), ...linearSpecs]) {
    spec.cases.forEach((c, i) => {
      it(`${spec.name} [${c.map((s) => `[${s}]`).join(', ')}]`, async () => { await checkOp(spec, i); });
    });
  }
});
