// Every op definition, every case: forward vs float64 reference, backward vs finite differences.
import { describe, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkOp } from './helpers/check-op';
import { allOpSpecs } from '../src/ops';

useGpu();

describe('ops', () => {
  for (const spec of allOpSpecs) {
    spec.cases.forEach((c, i) => {
      it(`${spec.name} [${c.map((s) => `[${s}]`).join(', ')}]`, async () => { await checkOp(spec, i); });
    });
  }
});
