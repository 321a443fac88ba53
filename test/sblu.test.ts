// The fused SBLU op through the shared op checker: forward against the float64 formula, all four
// gradients against finite differences.
import { describe, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkOp } from './helpers/check-op';
import { sbluSpecs } from '../src/aasp/sblu';

useGpu();

describe('sblu (op checker)', () => {
  for (const spec of sbluSpecs) {
    spec.cases.forEach((c, i) => {
      it(`${spec.name} [${c.map((s) => `[${s}]`).join(', ')}]`, async () => { await checkOp(spec, i); });
    });
  }
});
