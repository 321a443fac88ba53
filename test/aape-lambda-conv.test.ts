// The Lambda Encoder's dedicated conv1d and pooling through the shared op checker (forward and all gradients).
import { describe, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkOp } from './helpers/check-op';
import { lambdaConvSpecs } from '../src/aasp/lambda-conv';
import { meanStdPoolSpecs } from '../src/aasp/lambda-pool';

useGpu();

describe('lambdaConv1d (op checker)', () => {
  for (const spec of [...lambdaConvSpecs, ...meanStdPoolSpecs]) {
    spec.cases.forEach((c, i) => {
      it(`${spec.name} [${c.map((s) => `[${s}]`).join(', ')}]`, async () => { await checkOp(spec, i); });
    });
  }
});
