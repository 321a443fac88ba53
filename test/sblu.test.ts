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
      // Each (M, K, tile) is its own pipeline; lavapipe takes minutes for some on a busy machine.
      it(`${spec.name} [${c.map((s) => `[${s}]`).join(', ')}]`, { timeout: 400_000 }, async () => { await checkOp(spec, i); });
    });
  }
});
